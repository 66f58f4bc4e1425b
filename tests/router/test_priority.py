"""router/priority.py: a raw payload that a paging rule names goes ahead of the intake backlog."""

from __future__ import annotations

import json
from email import charset as charsets
from email.header import Header
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from pathlib import Path

import pytest

from config.schema import RouterSettings
from frontdesk.settings import load_settings
from router.mail_peek import HTML_BYTES, html_words, mail_words
from router.priority import JSON_BYTES, SCREENED_CHARS, payload_text, urgent_screen

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


@pytest.fixture(scope="module")
def screen():
    """The screen of the bundled rules (config/default.yaml)."""
    return urgent_screen(load_settings(environ={}).router)


def api_body(text: str, ensure_ascii: bool = True) -> bytes:
    return json.dumps({"external_id": "x-1", "sender": {"handle": "ann"}, "text": text},
                      ensure_ascii=ensure_ascii).encode()


def test_a_payload_a_paging_rule_names_is_put_first_with_that_rule(screen):
    assert screen(api_body("The charger caught fire in the kitchen"), "application/json") == "safety.fire"
    assert screen(api_body("There is a smell of gas after your engineer left"), "application/json") == \
        "safety.hazard"
    assert screen(api_body("My lawyer will be in touch"), "application/json") == "legal.threat"
    assert screen(api_body("My son is stuck in the lift on floor 3"), "application/json") == "safety.trapped"


def test_json_escapes_are_read_so_words_in_other_languages_are_found(screen):
    body = api_body("Hay una fuga de gás en la cocina")
    assert b"g\\u00e1s" in body  # what a Python client sends by default
    assert screen(body, "application/json") == "safety.hazard"
    assert screen(api_body("Hay una fuga de gás en la cocina", ensure_ascii=False), "application/json") == \
        "safety.hazard"


def test_routine_payloads_of_every_channel_are_not_put_first(screen):
    for path in [FIXTURES / "api" / "message__full.json", FIXTURES / "slack" / "event_callback__message_channel.json"]:
        assert screen(path.read_bytes(), "application/json") is None, path.name
    for path in sorted((FIXTURES / "email").glob("message__*.eml")):
        assert screen(path.read_bytes(), "message/rfc822") is None, path.name


def test_a_real_slack_event_with_a_dangerous_text_is_put_first(screen):
    event = json.loads((FIXTURES / "slack" / "event_callback__message_channel.json").read_text())
    event["event"]["text"] = "the heater in room 4 is sparking, please send someone"
    assert screen(json.dumps(event).encode(), "application/json") == "safety.fire"


def test_mail_is_read_as_text_before_any_parser(screen):
    mail = (FIXTURES / "email" / "message__gmail_reply.eml").read_bytes().replace(
        b"Subject: Re: Test", b"Subject: Re: carbon monoxide alarm went off")
    assert screen(mail, "message/rfc822") == "safety.hazard"


def test_rules_that_do_not_page_never_put_a_payload_first(screen):
    assert screen(api_body("Unsubscribe me, this is spam"), "application/json") is None
    settings = RouterSettings.model_validate({"page_urgencies": ["critical"], "rules": [
        {"name": "fire", "urgency": "high", "keywords": ["caught fire"]},
        {"name": "gas", "urgency": "critical", "keywords": ["gas leak"]}]})
    only_critical = urgent_screen(settings)
    assert only_critical(api_body("it caught fire"), "application/json") is None
    assert only_critical(api_body("a gas leak"), "application/json") == "gas"
    assert urgent_screen(RouterSettings.model_validate({"rules": [
        {"name": "optout", "categories": ["regulatory"], "opt_out": True, "keywords": ["stop"]}]})) is None


@pytest.mark.parametrize("body", [
    b'{"text": "caught fire", "sender": ',  # cut off
    b"\xff\xfe not json, caught fire",
])
def test_malformed_json_is_read_as_text(screen, body):
    assert screen(body, "application/json") == "safety.fire"


def test_json_nested_past_the_parsers_limit_is_read_as_text():
    deep = b"[" * 5000 + b'"caught fire"' + b"]" * 5000
    assert payload_text(deep, "application/json") == "[" * SCREENED_CHARS


def test_only_the_start_of_a_payload_is_read(screen):
    padding = "My order was late. " * (SCREENED_CHARS // 19 + 1)
    assert screen(api_body(padding + "It caught fire."), "application/json") is None
    assert screen(api_body("It caught fire. " + padding * 100), "application/json") == "safety.fire"
    assert len(api_body(padding * 100)) > JSON_BYTES  # read as text, not parsed
    assert len(payload_text(b"x" * (10 * SCREENED_CHARS), "text/plain")) == SCREENED_CHARS
    mail = b"Subject: help\r\nFrom: a@example.com\r\n\r\nThe kettle caught fire. " + b"x" * (10 * SCREENED_CHARS)
    assert screen(mail, "message/rfc822") == "safety.fire"
    assert screen(mail.replace(b"The kettle caught fire. ", b"x" * SCREENED_CHARS + b" caught fire"),
                  "message/rfc822") is None


@pytest.mark.parametrize(("mail", "text"), [
    (b"From: a\nSubject: Gas leak now\nTo: b\n\nHello", "Gas leak now\nHello"),
    (b"SUBJECT: Gas leak\r\n\r\nHello", "Gas leak\nHello"),
    (b"From: a\nTo: b\n\nSubject: only in the body", "\nSubject: only in the body"),
    (b"From: a\nX-Subject: no\n\nbody", "\nbody"),
    (b"no blank line, all header", "\n"),
])
def test_a_mail_is_read_as_its_subject_and_the_start_of_its_body(mail, text):
    assert payload_text(mail, "message/rfc822") == text


def test_keys_are_not_words():
    assert payload_text(b'{"fire": {"caught": ["smoke", 3, null]}, "n": "ok"}', "application/json") == "smoke\nok"


def encoded_mail(text: str, transfer: str, charset: str = "utf-8", subject: str = "Meter reading",
                 wrap: tuple[str, ...] = ()) -> bytes:
    """A mail as a mail client writes it: its text in `transfer` encoding, inside the multiparts of `wrap`
    (outermost first), each with a second part after the text."""
    part_charset = charsets.Charset(charset)
    part_charset.body_encoding = {"base64": charsets.BASE64, "quoted-printable": charsets.QP}[transfer]
    part = MIMEText(text, "plain", part_charset)
    for subtype in reversed(wrap):
        outer = MIMEMultipart(subtype)
        outer.attach(part)
        outer.attach(MIMEText("<p>see above</p>", "html"))
        part = outer
    part["Subject"] = subject
    part["From"] = "Ann Example <ann@example.org>"
    part["Message-ID"] = "<peek-1@example.org>"
    return part.as_bytes().replace(b"\n", b"\r\n")  # as it arrives by SMTP


LONG = "Hello, I am writing about the device you installed in our flat last week. " * 3


@pytest.mark.parametrize("transfer", ["base64", "quoted-printable"])
@pytest.mark.parametrize("wrap", [(), ("alternative",), ("mixed", "alternative")])
def test_a_mail_body_in_a_transfer_encoding_is_decoded_inside_its_multiparts(screen, transfer, wrap):
    mail = encoded_mail(LONG + "Hay una fuga de gás en la cocina.", transfer, wrap=wrap)
    assert "fuga de gás" not in mail.decode("utf-8", "replace")  # found only by decoding
    assert screen(mail, "message/rfc822") == "safety.hazard"
    assert screen(encoded_mail(LONG, transfer, wrap=wrap), "message/rfc822") is None


def test_a_mail_body_is_read_in_its_own_charset(screen):
    mail = encoded_mail("Hay una fuga de gás en la cocina", "quoted-printable", charset="iso-8859-1")
    assert b"=E1" in mail
    assert screen(mail, "message/rfc822") == "safety.hazard"


@pytest.mark.parametrize("encoding", ["utf-8", "iso-8859-1"])
def test_an_encoded_subject_is_decoded(screen, encoding):
    subject = Header("Fuga de gás en el sótano", encoding).encode()
    assert subject.startswith("=?")
    assert screen(encoded_mail("Vengan pronto.", "base64", subject=subject), "message/rfc822") == "safety.hazard"


@pytest.mark.parametrize("mail", [
    b"Subject: =?utf-8?b?not base64 at all?=\r\n\r\ncaught fire",
    b"Subject: =?no-such-charset?q?caught_fire?=\r\n\r\nhello",
    b"Subject: x\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\nno boundary line follows, caught fire",
    b"Subject: x\r\nContent-Type: text/plain; charset=no-such-charset\r\n\r\ncaught fire",
    b"Subject: x\r\nContent-Type: text/plain; charset=base64\r\n\r\ncaught fire",  # a codec, not a charset
    b"Subject: =?rot13?q?caught_fire?=\r\n\r\nhello",
    b"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\r\na part with no headers: caught fire\r\n--b--",
    b"Subject: caught fire",  # a header block and nothing else
])
def test_malformed_mail_is_read_as_far_as_it_goes(screen, mail):
    assert screen(mail, "message/rfc822") == "safety.fire"


def test_a_body_that_is_not_what_its_encoding_says_is_read_without_error(screen):
    for encoding in (b"base64", b"quoted-printable"):
        mail = b"Subject: x\r\nContent-Transfer-Encoding: " + encoding + b"\r\n\r\n!!!! caught fire ==== =\xff=Z"
        assert screen(mail, "message/rfc822") in (None, "safety.fire")


def test_only_the_first_kib_of_a_mail_body_is_read(screen):
    mail = encoded_mail("routine words " * 200 + "it caught fire", "base64")
    assert screen(mail, "message/rfc822") is None


def test_every_fixture_mail_cut_anywhere_is_read_without_error():
    for path in sorted((FIXTURES / "email").glob("*.eml")):
        mail = path.read_bytes()
        for cut in range(0, len(mail), max(len(mail) // 40, 1)):
            assert isinstance(mail_words(mail[:cut], SCREENED_CHARS), str), (path.name, cut)


OUTLOOK_HEAD = ("<html><head><meta http-equiv=\"Content-Type\" content=\"text/html; charset=utf-8\">"
                "<style><!-- " + "p.MsoNormal, li.MsoNormal {margin:0cm; font-size:11.0pt; font-family:Calibri;} " * 80
                + "--></style><!--[if gte mso 9]><xml><o:shapedefaults v:ext=\"edit\" spidmax=\"1026\" /></xml>"
                "<![endif]--></head>")


def html_mail(markup: str, transfer: str = "quoted-printable") -> bytes:
    part_charset = charsets.Charset("utf-8")
    part_charset.body_encoding = {"base64": charsets.BASE64, "quoted-printable": charsets.QP}[transfer]
    part = MIMEText(markup, "html", part_charset)
    part["Subject"] = "Flat 4"
    return part.as_bytes().replace(b"\n", b"\r\n")


@pytest.mark.parametrize("transfer", ["base64", "quoted-printable"])
def test_a_mail_written_only_in_html_is_read_past_its_styles(screen, transfer):
    body = "<body><header><p class=MsoNormal>Dear team,</p></header><p>The socket by the sink caught " \
           "fire&nbsp;last night &amp; we had to call the fire brigade.</p></body></html>"
    mail = html_mail(OUTLOOK_HEAD + body, transfer)
    assert len(OUTLOOK_HEAD) > 4 * SCREENED_CHARS  # past what a text part is read for
    assert screen(mail, "message/rfc822") == "safety.fire"
    words = payload_text(mail, "message/rfc822")
    assert words.startswith("Flat 4\nDear team, The socket by the sink caught fire last night & we had")
    assert "MsoNormal" not in words and "<" not in words
    assert screen(html_mail(OUTLOOK_HEAD + "<body><p>Please read the meter on Monday.</p></body>", transfer),
                  "message/rfc822") is None


def test_html_words_leave_out_markup_even_when_it_is_broken():
    assert html_words("<HEAD><TITLE>x</TITLE></HEAD><Script>fire()</Script><b>kept</b> <!-- unclosed fire") == "kept"
    assert html_words("<headline>kept</headline> &lt;tag&gt; &#233;") == "kept <tag> é"
    assert html_words("İİİ<STYLE>x</STYLE> kept") == "İİİ kept"  # "İ".lower() is two characters
    assert html_words("<style></style>x" * 1200) == " ".join(["x"] * 1200)
    assert html_words("<p>&amp;" * 2000) == " ".join(["&"] * 2000)
    assert html_words("<head" * 3300) == "<head" * 3300  # never a whole tag name
    assert html_words("x<!--" * 3300) == "x"  # the first comment never ends
    assert html_words("<a " + "b" * HTML_BYTES) == "<a " + "b" * HTML_BYTES  # no tag ends: words, not markup
