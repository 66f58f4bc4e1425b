"""Small helpers for consistent JSON answers."""

from __future__ import annotations

from aiohttp import web


def json_error(status: int, message: str, *, field: str | None = None, headers: dict | None = None) -> web.Response:
    """A JSON error body `{"error": ..., "field"?: ...}` with the given status."""
    body: dict = {"error": message}
    if field:
        body["field"] = field
    return web.json_response(body, status=status, headers=headers)
