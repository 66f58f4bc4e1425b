"""channels/email/imap.py against a real Dovecot: IDLE, polling, \\Seen, UID n:*, UIDVALIDITY, crashes, silence."""

from __future__ import annotations

import time

import pytest
import requests

from channels.email.imap import cursor_name, return_path
from frontdesk.store.cursors import CursorStore
from tests.channels.email.helpers import cases, complaint
from tests.fakes.dovecot import Dovecot
from tests.fakes.tcp_proxy import TcpProxy

PASSWORD = "desk-password"


@pytest.fixture
def dovecot():
    with Dovecot({"desk": PASSWORD}) as server:
        yield server


def imap_platform(make_platform, port: int, **mailbox):
    settings = {"name": "desk", "host": "127.0.0.1", "port": port, "ssl": False, "username": "desk",
                "poll_interval": "1s", "socket_timeout": "2s", "max_backoff": "1s", **mailbox}
    return make_platform(channels={"email": {"smtp": {"enabled": False}, "imap": [settings]}},
                         environ={"FRONTDESK_IMAP_PASSWORD": PASSWORD})


def wait_for_cases(platform, count: int, timeout: float = 20.0) -> list[dict]:
    """Run workers until `count` cases exist (bounded), then return them."""
    deadline = time.monotonic() + timeout
    found: list[dict] = []
    while time.monotonic() < deadline:
        platform.work()
        found = cases(platform)
        if len(found) >= count:
            break
        time.sleep(0.2)
    return found


def cursor(platform) -> dict | None:
    return CursorStore(platform.services.sessions).get("email:imap:desk")


def message_counts(platform) -> list[int]:
    return sorted(case["message_count"] for case in cases(platform))


def test_idle_delivers_new_mail_once(make_platform, dovecot):
    dovecot.deliver("desk", complaint(1))
    platform = imap_platform(make_platform, dovecot.port)
    assert len(wait_for_cases(platform, 1)) == 1
    dovecot.deliver("desk", complaint(2, sender="bob@customer.example"))  # arrives while the poller IDLEs
    assert len(wait_for_cases(platform, 2)) == 2
    time.sleep(1.5)
    platform.work()
    assert message_counts(platform) == [1, 1]
    assert cursor(platform)["last_uid"] == 2


def test_polling_without_idle(make_platform, dovecot):
    platform = imap_platform(make_platform, dovecot.port, idle=False)
    dovecot.deliver("desk", complaint(3))
    assert len(wait_for_cases(platform, 1)) == 1


def test_mail_read_by_a_person_is_taken_and_flags_are_left_alone(make_platform, dovecot):
    dovecot.deliver("desk", complaint(4), flags=(b"\\Seen",))
    dovecot.deliver("desk", complaint(5, sender="bob@customer.example"))
    platform = imap_platform(make_platform, dovecot.port)
    assert len(wait_for_cases(platform, 2)) == 2
    with dovecot.client("desk") as client:
        client.select_folder("INBOX", readonly=True)
        flags = client.get_flags([1, 2])
    assert b"\\Seen" in flags[1] and b"\\Seen" not in flags[2]


def test_uid_n_star_quirk_returns_nothing_new(make_platform, dovecot):
    for number in (6, 7):
        dovecot.deliver("desk", complaint(number, sender=f"c{number}@customer.example"))
    platform = imap_platform(make_platform, dovecot.port)
    assert len(wait_for_cases(platform, 2)) == 2
    with dovecot.client("desk") as client:
        client.select_folder("INBOX", readonly=True)
        assert client.search(["UID", "3:*"]) == [2]  # the server's quirk this poller filters out
    time.sleep(2)
    platform.work()
    assert message_counts(platform) == [1, 1]
    assert cursor(platform)["last_uid"] == 2


def test_crash_between_fetch_and_cursor_commit_makes_no_second_case(make_platform, dovecot):
    dovecot.deliver("desk", complaint(8))
    platform = imap_platform(make_platform, dovecot.port)
    assert len(wait_for_cases(platform, 1)) == 1
    platform.stop()
    # The process died after `accept` but before the cursor was written: the cursor is still behind.
    CursorStore(platform.services.sessions).set("email:imap:desk", {"uidvalidity": cursor(platform)["uidvalidity"],
                                                                     "last_uid": 0})
    dovecot.deliver("desk", complaint(9, sender="bob@customer.example"))
    again = imap_platform(make_platform, dovecot.port)
    assert len(wait_for_cases(again, 2)) == 2
    time.sleep(1.5)
    again.work()
    assert message_counts(again) == [1, 1]


def test_uidvalidity_change_rescans_without_duplicates(make_platform, dovecot):
    for number in (10, 11):
        dovecot.deliver("desk", complaint(number, sender=f"c{number}@customer.example"), folder="Complaints")
    platform = imap_platform(make_platform, dovecot.port, folder="Complaints")
    assert len(wait_for_cases(platform, 2)) == 2
    before = cursor(platform)["uidvalidity"]
    platform.stop()
    with dovecot.client("desk") as client:
        client.delete_folder("Complaints")
    for number in (10, 11, 12):
        dovecot.deliver("desk", complaint(number, sender=f"c{number}@customer.example"), folder="Complaints")
    again = imap_platform(make_platform, dovecot.port, folder="Complaints")
    assert len(wait_for_cases(again, 3)) == 3
    assert cursor(again)["uidvalidity"] != before
    assert message_counts(again) == [1, 1, 1]


def test_processed_mail_is_moved_after_commit(make_platform, dovecot):
    dovecot.deliver("desk", complaint(13))
    with dovecot.client("desk") as client:
        client.create_folder("Done")
    platform = imap_platform(make_platform, dovecot.port, processed_folder="Done")
    assert len(wait_for_cases(platform, 1)) == 1
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with dovecot.client("desk") as client:
            inbox, done = (client.folder_status(name, ["MESSAGES"])[b"MESSAGES"] for name in ("INBOX", "Done"))
        if done == 1:
            break
        time.sleep(0.2)
    assert (inbox, done) == (0, 1)


@pytest.mark.slow
def test_silent_server_is_dropped_and_mail_still_arrives_once(make_platform, dovecot):
    with TcpProxy(dovecot.port) as proxy:
        platform = imap_platform(make_platform, proxy.port)
        dovecot.deliver("desk", complaint(14))
        assert len(wait_for_cases(platform, 1)) == 1
        proxy.blackhole()
        dovecot.deliver("desk", complaint(15, sender="bob@customer.example"))
        time.sleep(4)  # the poller's socket timeout (2 s) fires while the proxy swallows everything
        proxy.restore()
        assert len(wait_for_cases(platform, 2, timeout=30)) == 2
        assert proxy.connections >= 2
        assert message_counts(platform) == [1, 1]


def test_cursor_name_is_per_mailbox():
    from config.email import ImapMailboxSettings

    assert cursor_name(ImapMailboxSettings(name="sales", host="h", username="u")) == "email:imap:sales"


def test_two_servers_never_poll_one_mailbox_at_once(make_platform, dovecot):
    with TcpProxy(dovecot.port) as first_proxy, TcpProxy(dovecot.port) as second_proxy:
        first = imap_platform(make_platform, first_proxy.port)
        second = imap_platform(make_platform, second_proxy.port)
        dovecot.deliver("desk", complaint(16))
        assert len(wait_for_cases(first, 1)) == 1
        time.sleep(2)
        assert sorted([first_proxy.connections, second_proxy.connections])[0] == 0
        assert message_counts(second) == [1]


def test_mail_without_from_takes_its_sender_from_the_return_path(make_platform, dovecot):
    broken = b"Return-Path: <Ann@Customer.example>\r\nSubject: no From at all\r\nMessage-ID: <nofrom@x>\r\n\r\nhelp\r\n"
    dovecot.deliver("desk", broken)
    platform = imap_platform(make_platform, dovecot.port)
    [case] = wait_for_cases(platform, 1)
    assert case["contact"]["email"] == "ann@customer.example"
    assert return_path(broken) == "ann@customer.example"
    assert return_path(b"Return-Path: <>\r\n\r\nx") == ""
    assert return_path(b"Subject: x\r\n\r\nx") is None


def test_a_wrong_password_shows_in_healthz_until_the_mailbox_connects(make_platform, dovecot):
    platform = make_platform(channels={"email": {"smtp": {"enabled": False}, "imap": [
        {"name": "desk", "host": "127.0.0.1", "port": dovecot.port, "ssl": False, "username": "desk",
         "poll_interval": "1s", "socket_timeout": "2s", "max_backoff": "0.2s"}]}},
        environ={"FRONTDESK_IMAP_PASSWORD": "not-the-password"})
    deadline = time.monotonic() + 20
    state = ""
    while not state.startswith("failing") and time.monotonic() < deadline:
        time.sleep(0.2)
        state = requests.get(f"{platform.url}/healthz", timeout=10).json()["channels"]["email"]
    # LoginError, then whatever Dovecot's penalty for failed logins makes of the next tries (timeouts, resets)
    assert state.startswith("failing: imap:desk: ") and "polls in a row since" in state
    dovecot.users["desk"] = "not-the-password"  # the passwords agree again (deliver() logs in with it too)
    (dovecot.root / "passwd").write_text("desk:{PLAIN}not-the-password\n")
    dovecot.deliver("desk", complaint(30))
    assert len(wait_for_cases(platform, 1, timeout=30)) == 1
    assert requests.get(f"{platform.url}/healthz", timeout=10).json()["channels"]["email"] == "running"


def test_an_unexpected_error_is_shown_retried_and_loses_no_mail(make_platform, dovecot, monkeypatch):
    from channels.email import imap

    faults = iter([RuntimeError("a fault of ours"), RuntimeError("a fault of ours")])
    real_return_path = imap.return_path

    def failing_twice(body: bytes) -> str | None:
        fault = next(faults, None)
        if fault is not None:
            raise fault
        return real_return_path(body)

    monkeypatch.setattr(imap, "return_path", failing_twice)  # stands for a bug met on one peculiar mail
    dovecot.deliver("desk", complaint(40))
    platform = imap_platform(make_platform, dovecot.port, max_backoff="1s")
    deadline = time.monotonic() + 20
    state = ""
    while not state.startswith("failing") and time.monotonic() < deadline:
        state = requests.get(f"{platform.url}/healthz", timeout=10).json()["channels"]["email"]
        time.sleep(0.05)
    assert state.startswith("failing: imap:desk: RuntimeError, 2 polls in a row")
    assert len(wait_for_cases(platform, 1)) == 1
    assert message_counts(platform) == [1]
    assert requests.get(f"{platform.url}/healthz", timeout=10).json()["channels"]["email"] == "running"
