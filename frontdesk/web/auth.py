"""Bearer tokens of the JSON API: each configured API client's token, compared in constant time."""

from __future__ import annotations

import hmac

from config.schema import ApiClientSettings


def client_for(clients: list[ApiClientSettings], authorization: str) -> ApiClientSettings | None:
    """The client whose token the `Authorization: Bearer …` header presents; None when none matches."""
    scheme, _, presented = authorization.partition(" ")
    if scheme.lower() != "bearer" or not presented.strip():
        return None
    found = None
    for client in clients:  # no early exit: the time taken does not say which client matched
        if client.token is not None and hmac.compare_digest(
                client.token.get_secret_value().encode(), presented.strip().encode()):
            found = client
    return found


def may(client: ApiClientSettings, role: str) -> bool:
    """Whether the API client's role (viewer, agent or admin, as for dashboard operators) reaches `role`."""
    from frontdesk.auth.roles import allows

    return allows(client.role, role)
