"""POSTs to one fixed URL over kept-alive connections, with the standard library's http.client.

A webhook needs little of what a general HTTP client offers: one URL, no
redirects, no retries (the delivery's retry policy decides), a bounded
response. urllib3 spent about twice the CPU of http.client itself on each
such POST (bench/pipeline.py's acknowledgments: about 200 µs against 100 µs
on loopback), a tenth of a worker's time at a few hundred acknowledgments a
second, so this pool keeps only what a webhook needs: connections kept alive
and shared by the delivery threads, the environment's proxy (CONNECT for
https), TLS verified with the system's certificates, and one immediate
retry on a fresh connection when a kept one turns out to have been closed by
the other side while idle.
"""

from __future__ import annotations

import base64
import http.client
import ssl
import threading
from urllib.parse import unquote, urlsplit

from requests.utils import get_environ_proxies

MAX_BODY = 64 * 1024  # a longer answer is read this far and its connection closed
# What a kept-alive connection that the server closed while idle raises on its next request.
STALE = (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError)


class KeepAlivePool:
    """Up to `size` idle connections to the host of `url`, taken and given back by any thread."""

    def __init__(self, url: str, size: int, timeout: float):
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"not an http(s) URL: {url!r}")
        self.size, self.timeout = size, timeout
        self.https = parts.scheme == "https"
        self.host, self.port = parts.hostname, parts.port or (443 if self.https else 80)
        self.path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        self.headers: dict[str, str] = {}  # sent with every request (a plain-HTTP proxy's credentials)
        self.tunnel_headers: dict[str, str] = {}  # sent with the CONNECT to an https proxy
        self.proxy: tuple[str, int] | None = None
        proxy_url = get_environ_proxies(url).get(parts.scheme)
        if proxy_url:
            self._use_proxy(url, urlsplit(proxy_url if "://" in proxy_url else f"http://{proxy_url}"))
        self.context = ssl.create_default_context() if self.https else None
        self._idle: list[http.client.HTTPConnection] = []
        self._lock = threading.Lock()

    def post(self, body: bytes, headers: dict[str, str]) -> int:
        """POST `body`; returns the response's status. Raises OSError or http.client.HTTPException when no
        response came (refused, timed out, reset, TLS failure)."""
        connection, reused = self._take()
        try:
            status, keep = self._exchange(connection, body, headers)
        except STALE:
            connection.close()
            if not reused:
                raise
            connection = self._connect()
            try:
                status, keep = self._exchange(connection, body, headers)
            except BaseException:
                connection.close()
                raise
        except BaseException:
            connection.close()
            raise
        if keep:
            self._give(connection)
        else:
            connection.close()
        return status

    def _exchange(self, connection: http.client.HTTPConnection, body: bytes,
                  headers: dict[str, str]) -> tuple[int, bool]:
        connection.request("POST", self.path, body=body, headers={**self.headers, **headers})
        response = connection.getresponse()
        keep = not response.will_close and response.length is not None and response.length <= MAX_BODY
        response.read(None if keep else MAX_BODY)
        return response.status, keep

    def _take(self) -> tuple[http.client.HTTPConnection, bool]:
        with self._lock:
            if self._idle:
                return self._idle.pop(), True
        return self._connect(), False

    def _give(self, connection: http.client.HTTPConnection) -> None:
        with self._lock:
            if len(self._idle) < self.size:
                self._idle.append(connection)
                return
        connection.close()

    def _connect(self) -> http.client.HTTPConnection:
        host, port = self.proxy or (self.host, self.port)
        if not self.https:
            return http.client.HTTPConnection(host, port, timeout=self.timeout)
        connection = http.client.HTTPSConnection(host, port, timeout=self.timeout, context=self.context)
        if self.proxy:
            connection.set_tunnel(self.host, self.port, headers=self.tunnel_headers)
        return connection

    def _use_proxy(self, url: str, proxy) -> None:
        self.proxy = (proxy.hostname, proxy.port or 80)
        auth = {}
        if proxy.username:
            credentials = f"{unquote(proxy.username)}:{unquote(proxy.password or '')}".encode()
            auth["Proxy-Authorization"] = "Basic " + base64.b64encode(credentials).decode()
        if self.https:
            self.tunnel_headers = auth  # the proxy sees only the CONNECT; the request inside is end to end
        else:
            self.path = url  # a plain-HTTP proxy is asked for the absolute URL
            self.headers = auth
