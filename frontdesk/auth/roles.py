"""Roles, weakest first: a viewer reads, an agent acts on cases, an admin also erases and manages."""

from __future__ import annotations

from config.desk import ROLES

RANK = {role: index for index, role in enumerate(ROLES)}


def allows(role: str | None, needed: str) -> bool:
    """Whether `role` may do what needs `needed`; an unknown or missing role may do nothing."""
    return role in RANK and RANK[role] >= RANK[needed]
