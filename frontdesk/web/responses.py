"""Small helpers for consistent JSON answers."""

from __future__ import annotations

from aiohttp import web


def json_error(status: int, message: str, *, field: str | None = None, headers: dict | None = None) -> web.Response:
    """A JSON error body `{"error": ..., "field"?: ...}` with the given status."""
    body: dict = {"error": message}
    if field:
        body["field"] = field
    return web.json_response(body, status=status, headers=headers)


async def read_limited(request: web.Request, limit: int) -> bytes | None:
    """The request body, or None when it is longer than `limit` bytes (declared or streamed)."""
    if request.content_length is not None and request.content_length > limit:
        return None
    chunks, size = [], 0
    while True:
        chunk = await request.content.read(65536)
        if not chunk:
            return b"".join(chunks)
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
