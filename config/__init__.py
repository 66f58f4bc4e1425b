"""Frontdesk's settings schema and its default and example YAML files."""

from config.schema import Settings

__all__ = ["Settings"]
