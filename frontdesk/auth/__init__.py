"""Operator accounts, password hashing, signed-cookie sessions, CSRF tokens, roles and login rate limits."""
