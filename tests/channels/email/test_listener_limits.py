"""channels/email/transport.py limits and options: quarantine, sessions, commands, STARTTLS and AUTH after TLS."""

from __future__ import annotations

import datetime
import smtplib
import socket
import ssl

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.channels.email.helpers import cases, complaint, email_overrides, smtp_port

PASSWORD = "listener-password"


def self_signed(folder) -> tuple[str, str]:
    """A throwaway certificate for 127.0.0.1: (certfile, keyfile)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.timezone.utc)
    certificate = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
                   .serial_number(x509.random_serial_number()).not_valid_before(now)
                   .not_valid_after(now + datetime.timedelta(days=1)).sign(key, hashes.SHA256()))
    certfile, keyfile = folder / "cert.pem", folder / "key.pem"
    certfile.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    keyfile.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                          serialization.NoEncryption()))
    return str(certfile), str(keyfile)


def test_unparseable_mail_is_kept_and_opens_an_unparsed_case(make_platform):
    platform = make_platform(**email_overrides(None))
    folded = b"\r\n ".join([b"a" * 70] * 250)  # one 17 KiB header in lines a relay accepts
    broken = complaint(1).replace(b"Subject:", b"X-Huge: " + folded + b"\r\nSubject:")
    with smtplib.SMTP("127.0.0.1", smtp_port(platform), timeout=10) as client:
        client.sendmail("ann@customer.example", ["help@localhost"], broken)
    platform.work()
    [case] = cases(platform)
    detail = platform.http.get(f"{platform.url}/api/cases/{case['id']}", timeout=10).json()
    [message] = detail["messages"]
    assert message["flags"] == ["unparsed"] and message["subject"] == "(could not be parsed)"
    assert "over 16384 bytes" in message["text"]


def test_concurrent_sessions_and_commands_per_session_are_capped(make_platform):
    port = smtp_port(make_platform(**email_overrides(None, max_sessions=2, max_commands=20)))
    open_sessions = [socket.create_connection(("127.0.0.1", port), timeout=10) for _ in range(2)]
    try:
        for connection in open_sessions:
            assert connection.recv(1024).startswith(b"220")
        with socket.create_connection(("127.0.0.1", port), timeout=10) as third:
            assert third.recv(1024).startswith(b"421 4.7.0")
    finally:
        for connection in open_sessions:
            connection.close()
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
        codes = []
        for _ in range(25):
            try:
                codes.append(client.noop()[0])
            except smtplib.SMTPServerDisconnected:
                break
    assert codes[:20] == [250] * 20 and 421 in codes


def test_auth_is_offered_only_after_starttls(make_platform, tmp_path):
    certfile, keyfile = self_signed(tmp_path)
    tls = {"certfile": certfile, "keyfile": keyfile, "auth_username": "relay"}
    platform = make_platform(environ={"FRONTDESK_SMTP_PASSWORD": PASSWORD}, **email_overrides(None, tls=tls))
    context = ssl.create_default_context()
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
    with smtplib.SMTP("127.0.0.1", smtp_port(platform), timeout=10) as client:
        client.ehlo()
        assert client.has_extn("starttls") and not client.has_extn("auth")
        client.starttls(context=context)
        client.ehlo()
        assert client.has_extn("auth")
        with pytest.raises(smtplib.SMTPAuthenticationError):
            client.login("relay", "wrong")
        assert client.login("relay", PASSWORD)[0] == 235
