"""The webhook connection pool against a raw loopback HTTP server whose every connection and request line
is recorded: connections are kept and shared, a connection the server closed while idle is replaced once,
proxies from the environment are used, and an oversized or missing answer never wedges a connection."""

from __future__ import annotations

import http.client
import socketserver
import threading

import pytest

from outbound.keepalive import MAX_BODY, KeepAlivePool


class RawServer(socketserver.ThreadingTCPServer):
    """Answers POSTs on loopback; `mode` says how: keep (keep-alive), close (close after each answer),
    silent (read the request, close without answering), big (an answer longer than MAX_BODY)."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, mode: str):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.mode = mode
        self.connections = 0
        self.requests: list[tuple[str, dict[str, str], bytes]] = []
        threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _Handler(socketserver.StreamRequestHandler):
    timeout = 5

    def handle(self) -> None:
        server: RawServer = self.server
        server.connections += 1
        for _ in range(100):  # requests on this connection
            line = self.rfile.readline(65536).decode("latin-1").strip()
            if not line:
                return
            headers = {}
            while (header := self.rfile.readline(65536).decode("latin-1").strip()):
                name, _, value = header.partition(":")
                headers[name.strip().lower()] = value.strip()
            body = self.rfile.read(int(headers.get("content-length", "0")))
            server.requests.append((line, headers, body))
            if server.mode == "silent":
                return
            answer = b"x" * (MAX_BODY * 4) if server.mode == "big" else b"ok"
            self.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(answer), answer))
            self.wfile.flush()
            if server.mode == "close":
                return


@pytest.fixture
def server(request):
    running = RawServer(request.param if hasattr(request, "param") else "keep")
    yield running
    running.shutdown()
    running.server_close()


@pytest.fixture(autouse=True)
def no_proxy_from_the_machine(monkeypatch):
    for name in ("http_proxy", "https_proxy", "all_proxy", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)


def test_connections_are_kept_and_reused(server):
    pool = KeepAlivePool(f"{server.url}/hooks/ack?client=a", size=2, timeout=5)
    statuses = [pool.post(b'{"n": %d}' % n, {"content-type": "application/json"}) for n in range(5)]

    assert statuses == [200] * 5
    assert server.connections == 1
    assert [line for line, _, _ in server.requests] == ["POST /hooks/ack?client=a HTTP/1.1"] * 5
    assert server.requests[3][2] == b'{"n": 3}'


@pytest.mark.parametrize("server", ["close"], indirect=True)
def test_a_connection_the_server_closed_while_idle_is_replaced_once(server):
    pool = KeepAlivePool(f"{server.url}/ack", size=2, timeout=5)
    assert pool.post(b"1", {}) == 200
    assert pool.post(b"2", {}) == 200  # the kept connection is gone: sent again, once, on a new one

    assert [body for _, _, body in server.requests] == [b"1", b"2"]


@pytest.mark.parametrize("server", ["silent"], indirect=True)
def test_no_answer_on_a_new_connection_raises_and_is_not_resent(server):
    pool = KeepAlivePool(f"{server.url}/ack", size=2, timeout=5)
    with pytest.raises(http.client.RemoteDisconnected):
        pool.post(b"once", {})

    assert [body for _, _, body in server.requests] == [b"once"]


@pytest.mark.parametrize("server", ["big"], indirect=True)
def test_an_oversized_answer_is_not_read_whole_and_its_connection_is_dropped(server):
    pool = KeepAlivePool(f"{server.url}/ack", size=2, timeout=5)
    assert [pool.post(b"a", {}), pool.post(b"b", {})] == [200, 200]

    assert server.connections == 2


def test_a_plain_http_proxy_from_the_environment_gets_the_absolute_url_and_credentials(server, monkeypatch):
    monkeypatch.setenv("HTTP_PROXY", f"http://desk:s%3Acret@127.0.0.1:{server.server_address[1]}")
    pool = KeepAlivePool("http://callbacks.example.invalid:8443/ack", size=2, timeout=5)

    assert pool.post(b"{}", {"webhook-id": "msg_1"}) == 200
    line, headers, _ = server.requests[0]
    assert line == "POST http://callbacks.example.invalid:8443/ack HTTP/1.1"
    assert headers["proxy-authorization"] == "Basic ZGVzazpzOmNyZXQ="  # desk:s:cret
    assert headers["webhook-id"] == "msg_1"


def test_only_http_urls_make_a_pool():
    with pytest.raises(ValueError, match="not an http"):
        KeepAlivePool("ftp://127.0.0.1/ack", size=1, timeout=1)
