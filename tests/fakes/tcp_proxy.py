"""A loopback TCP proxy that can go silent: `blackhole()` keeps connections open but forwards nothing.

Stands for a server or network that stops answering without closing the
connection, the case socket timeouts exist for. `restore()` makes new
connections work again; the stalled ones stay stalled until closed.
"""

from __future__ import annotations

import asyncio
import threading


class TcpProxy:
    """`with TcpProxy(upstream_port) as proxy:` then connect to `proxy.port`."""

    def __init__(self, upstream_port: int, upstream_host: str = "127.0.0.1"):
        self.upstream = (upstream_host, upstream_port)
        self.loop = asyncio.new_event_loop()
        self.port = 0
        self.silent = False
        self.connections = 0
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self._server: asyncio.base_events.Server | None = None
        self._writers: list[asyncio.StreamWriter] = []

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                if not self.silent:
                    writer.write(data)
                    await writer.drain()
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            writer.close()

    async def _handle(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        self._writers.append(client_writer)
        if self.silent:
            await client_reader.read()  # hold the connection open, answer nothing, until the client gives up
            client_writer.close()
            return
        upstream_reader, upstream_writer = await asyncio.open_connection(*self.upstream)
        self._writers.append(upstream_writer)
        await asyncio.gather(self._pipe(client_reader, upstream_writer), self._pipe(upstream_reader, client_writer))

    def blackhole(self) -> None:
        """From now on nothing is forwarded, on old or new connections."""
        self.silent = True

    def restore(self) -> None:
        """Forward again (new connections; data sent while silent is lost)."""
        self.silent = False

    def __enter__(self) -> "TcpProxy":
        self._thread.start()
        future = asyncio.run_coroutine_threadsafe(asyncio.start_server(self._handle, "127.0.0.1", 0), self.loop)
        self._server = future.result(timeout=10)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    def __exit__(self, *exc) -> None:
        async def close() -> None:
            self._server.close()
            for writer in self._writers:
                writer.close()
            await self._server.wait_closed()

        asyncio.run_coroutine_threadsafe(close(), self.loop).result(timeout=10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout=10)
