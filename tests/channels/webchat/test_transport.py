"""The WebSocket at /chat/ws against a running platform (real Redis, SQLite store, RQ workers)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from aiohttp import WSMsgType
from sqlalchemy import select

from frontdesk.store.tables import Case, Delivery, RawPayload
from tests.channels.webchat.chat_client import ChatSocket, handshake_status

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "webchat"
COMPLAINT = json.loads((FIXTURES / "complaint__email_contact.json").read_text())


@pytest.fixture
def chat(make_platform, loop_thread):
    """Start a platform with web chat overrides and open sockets to it; everything is closed afterwards."""
    sockets = []

    def start(**webchat):
        platform = make_platform(channels={"webchat": webchat})

        def connect(origin: str | None = platform.url) -> ChatSocket:
            sockets.append(ChatSocket(loop_thread, platform.url, origin))
            return sockets[-1]
        return platform, connect

    yield start
    for socket in sockets:
        socket.close()


def rows(platform, model, *where):
    with platform.services.sessions() as session:
        return list(session.scalars(select(model).where(*where)))


def test_message_is_committed_before_it_is_acknowledged_as_received(chat):
    platform, connect = chat()
    socket = connect()
    welcome = socket.hello()
    assert welcome["events"] == [] and welcome["complaint_form"] is True and welcome["max_bytes"] == 16384
    socket.send(COMPLAINT)
    received = socket.frame_of("received")
    assert received["client_id"] == COMPLAINT["client_id"]
    stored = rows(platform, RawPayload, RawPayload.id == received["id"])
    assert [row.meta for row in stored] == [{"conversation": welcome["conversation"]}]
    assert stored[0].idempotency_key == f"webchat:{welcome['conversation']}:{COMPLAINT['client_id']}"
    assert welcome["token"] not in stored[0].body.decode()


def test_acknowledgment_is_pushed_to_the_open_socket(chat):
    platform, connect = chat()
    socket = connect()
    socket.hello()
    socket.send(COMPLAINT)
    received = socket.frame_of("received")
    platform.work()
    line = socket.frame_of("event")
    while line["event"]["kind"] == "visitor":
        line = socket.frame_of("event")
    assert line["event"]["kind"] == "ack"
    assert line["event"]["id"] == f"d:ack:{received['id']}"
    assert "Hello Dana Whitfield" in line["event"]["text"]
    [delivery] = rows(platform, Delivery, Delivery.sender == "webchat")
    assert delivery.status == "sent" and delivery.detail["sent_text"] == line["event"]["text"]


def test_reconnect_with_token_receives_what_was_missed(chat):
    platform, connect = chat()
    first = connect()
    welcome = first.hello()
    first.send({"type": "message", "client_id": "m1", "text": "My parcel never arrived."})
    received = first.frame_of("received")
    first.close()
    platform.work()  # the acknowledgment goes out while nobody is connected
    second = connect()
    resumed = second.hello(welcome["token"])
    assert resumed["conversation"] == welcome["conversation"]
    assert [(line["kind"], line["id"]) for line in resumed["events"]] == [
        ("visitor", f"m:{received['id']}"), ("ack", f"d:ack:{received['id']}")]
    assert resumed["events"][0]["text"] == "My parcel never arrived."
    assert resumed["events"][0]["client_id"] == "m1"


def test_a_message_still_waiting_for_the_router_is_in_the_history(chat):
    platform, connect = chat()
    first = connect()
    welcome = first.hello()
    first.send({"type": "message", "client_id": "m1", "text": "Still there?"})
    first.frame_of("received")
    resumed = connect().hello(welcome["token"])
    assert [(line["kind"], line["text"]) for line in resumed["events"]] == [("visitor", "Still there?")]


def test_forged_token_or_email_gets_a_new_empty_conversation(chat):
    platform, connect = chat()
    owner = connect()
    welcome = owner.hello()
    owner.send(COMPLAINT)
    owner.frame_of("received")
    conversation = welcome["conversation"]
    for forged in (conversation, f"{conversation}.AAAA", "dana.whitfield@example.org", {"email": "x"}):
        other = connect().hello(forged)
        assert other["conversation"] != conversation and other["events"] == []


def test_duplicate_client_id_is_one_message(chat):
    platform, connect = chat()
    socket = connect()
    socket.hello()
    frame = {"type": "message", "client_id": "again", "text": "hello"}
    socket.send(frame)
    first = socket.frame_of("received")
    socket.send(frame)
    second = socket.frame_of("received")
    assert first["id"] == second["id"]
    assert len(rows(platform, RawPayload, RawPayload.channel == "webchat")) == 1


@pytest.mark.parametrize("origin", ["https://evil.invalid", "null", None])
def test_foreign_or_missing_origin_is_refused_before_the_upgrade(chat, loop_thread, origin):
    platform, _ = chat(allowed_origins=["https://shop.example"])
    assert handshake_status(loop_thread, platform.url, origin) == 403
    assert handshake_status(loop_thread, platform.url, "https://shop.example") == 101


def test_oversized_frame_closes_with_1009(chat):
    platform, connect = chat()
    socket = connect()
    socket.hello()
    socket.send({"type": "message", "client_id": "big", "text": "x" * (16 * 1024)})
    message = socket.receive()
    assert message.type == WSMsgType.CLOSE and message.data == 1009
    assert rows(platform, RawPayload, RawPayload.channel == "webchat") == []


def test_flood_closes_with_1008(chat):
    platform, connect = chat(rate_limits={"per_connection": "5/minute"})
    socket = connect()
    socket.hello()
    for index in range(5):
        socket.send({"type": "message", "client_id": f"f{index}", "text": "spam"})
        socket.frame_of("received")
    socket.send({"type": "message", "client_id": "f5", "text": "spam"})
    message = socket.receive()
    while message.type == WSMsgType.TEXT:
        message = socket.receive()
    assert message.type == WSMsgType.CLOSE and message.data == 1008
    assert len(rows(platform, RawPayload, RawPayload.channel == "webchat")) == 5


def test_per_address_limit_spans_connections(chat):
    platform, connect = chat(rate_limits={"per_connection": "50/minute", "per_ip": "3/minute"})
    first, second = connect(), connect()
    first.hello()
    second.hello()
    for index, socket in enumerate((first, second, first)):
        socket.send({"type": "message", "client_id": f"p{index}", "text": "hi"})
        socket.frame_of("received")
    second.send({"type": "message", "client_id": "p3", "text": "hi"})
    message = second.receive()
    while message.type == WSMsgType.TEXT:
        message = second.receive()
    assert message.data == 1008


def test_socket_cap_per_address(chat, loop_thread):
    platform, connect = chat(max_sockets_per_ip=2)
    connect().hello()
    connect().hello()
    assert handshake_status(loop_thread, platform.url, platform.url) == 429


def test_peer_that_stops_answering_pings_is_dropped(chat, loop_thread):
    platform, _ = chat(heartbeat="0.5s")
    deaf = ChatSocket(loop_thread, platform.url, platform.url, autoping=False)
    try:
        deaf.hello()
        seen = [deaf.receive(timeout=5).type for _ in range(10)]
        assert WSMsgType.PING in seen
        assert seen[-1] in (WSMsgType.CLOSE, WSMsgType.CLOSED, WSMsgType.ERROR)
    finally:
        deaf.close()


def test_silent_sockets_are_closed(chat):
    platform, connect = chat(hello_timeout="0.5s", idle_timeout="1s")
    mute = connect()
    assert mute.receive().data == 1008  # no hello
    idle = connect()
    idle.hello()
    assert idle.receive().data == 4000


@pytest.mark.parametrize("frame, field", [
    ({"type": "message", "client_id": "e1", "text": "\u0000\u0007"}, "text"),
    ({"type": "message", "client_id": "e2", "text": "hi", "token": "x"}, "token"),
    ({"type": "complaint", "client_id": "e3", "form": {"name": "x"}}, "form.contact"),
])
def test_malformed_frames_are_answered_and_quarantined_without_a_case(chat, frame, field):
    platform, connect = chat()
    socket = connect()
    socket.hello()
    socket.send(frame)
    error = socket.frame_of("error")
    assert error["field"] == field and error["client_id"] == frame["client_id"]
    [kept] = rows(platform, RawPayload, RawPayload.channel == "webchat")
    assert kept.status == "quarantined" and field in kept.error
    platform.work()
    assert rows(platform, Case) == []


def test_binary_and_unknown_frames(chat):
    platform, connect = chat()
    socket = connect()
    socket.hello()
    socket.send({"type": "typing"})
    assert socket.frame_of("error")["error"].startswith("not a visitor event")
    socket.send("not json")
    assert "not valid JSON" in socket.frame_of("error")["error"]
    socket.loop.call(socket.socket.send_bytes(b"\x00\x01"))
    assert socket.receive().data == 1003


def test_every_xss_payload_comes_back_as_the_same_text(chat):
    platform, connect = chat(rate_limits={"per_connection": "100/minute", "per_ip": "100/minute"})
    payloads = [line for line in (FIXTURES / "xss_payloads.txt").read_text(encoding="utf-8").splitlines()
                if line and not line.startswith("# ")]
    socket = connect()
    welcome = socket.hello()
    for index, payload in enumerate(payloads):
        socket.send({"type": "message", "client_id": f"x{index}", "text": payload})
        assert socket.frame_of("received")["event"]["text"] == payload.strip()
    platform.work()
    history = connect().hello(welcome["token"])["events"]
    visitor = [line["text"] for line in history if line["kind"] == "visitor"]
    assert visitor == [payload.strip() for payload in payloads]


def test_lines_reach_sockets_held_by_other_server_processes(chat, make_platform, loop_thread):
    first, connect = chat()
    second = make_platform(first.settings)
    here = connect()
    welcome = here.hello()
    there = ChatSocket(loop_thread, second.url, second.url)
    try:
        assert there.hello(welcome["token"])["conversation"] == welcome["conversation"]
        here.send({"type": "message", "client_id": "x1", "text": "Anyone? My order arrived broken."})
        received = here.frame_of("received")
        assert there.frame_of("event")["event"]["id"] == f"m:{received['id']}"
        first.work()
        kinds = set()
        for _ in range(3):
            kinds.add(there.frame_of("event")["event"]["kind"])
            if "ack" in kinds:
                break
        assert "ack" in kinds
    finally:
        there.close()


def test_shutdown_closes_sockets_with_going_away(chat):
    platform, connect = chat()
    socket = connect()
    socket.hello()
    platform.stop()
    message = socket.receive()
    assert message.type == WSMsgType.CLOSE and message.data == 1001


def test_history_reads_payloads_sealed_at_rest(make_platform, loop_thread):
    from cryptography.fernet import Fernet

    platform = make_platform(environ={"FRONTDESK_DATA_KEYS": Fernet.generate_key().decode()})
    sockets = [ChatSocket(loop_thread, platform.url, platform.url) for _ in range(3)]
    try:
        welcome = sockets[0].hello()
        sockets[0].send({"type": "message", "client_id": "s1", "text": "Sealed but readable"})
        sockets[0].frame_of("received")
        with platform.services.sessions.kw["bind"].connect() as connection:
            [stored] = connection.exec_driver_sql("SELECT body FROM raw_payloads").fetchall()
        assert b"Sealed but readable" not in bytes(stored[0])
        pending = sockets[1].hello(welcome["token"])["events"]
        assert [line["text"] for line in pending] == ["Sealed but readable"]
        platform.work()
        routed = sockets[2].hello(welcome["token"])["events"]
        assert [line["kind"] for line in routed] == ["visitor", "ack"]
    finally:
        for socket in sockets:
            socket.close()
