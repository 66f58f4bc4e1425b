"""Loading settings: the bundled defaults, the operator's YAML on top, secrets from the environment.

Settings load once at start; every component then receives its typed section.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import TypeAdapter, ValidationError

from config.schema import Settings
from config.types import fill_secrets
from frontdesk.errors import ConfigError

DEFAULT_YAML = Path(__file__).resolve().parent.parent / "config" / "default.yaml"
# Deployment facts that differ per machine; the environment wins over the file.
ENV_OVERRIDES = {"data_dir": "FRONTDESK_DATA_DIR", "redis_url": "FRONTDESK_REDIS_URL",
                 "database_url": "FRONTDESK_DATABASE_URL", "outbound.email.outbox": "FRONTDESK_EMAIL_OUTBOX"}
_SECRETISH = ("token", "secret", "password", "key", "credential")


def load_settings(
    path: str | os.PathLike | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    senders: Iterable[str] | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> Settings:
    """Read the defaults, then `path` (or `$FRONTDESK_CONFIG`) over them, and validate.

    `senders` is the set of outbound sender slugs paging policies may name.
    Raises ConfigError naming the field path and the bad value (never a secret).
    """
    environ = os.environ if environ is None else environ
    data = _read_yaml(DEFAULT_YAML)
    bundled = data["router"].pop("rules")
    path = path or environ.get("FRONTDESK_CONFIG")
    if path:
        data = deep_merge(data, _read_yaml(Path(path)))
    for key, variable in ENV_OVERRIDES.items():
        if environ.get(variable):
            *sections, name = key.split(".")
            data = deep_merge(data, _nested(sections, {name: environ[variable]}))
    if overrides:
        data = deep_merge(data, dict(overrides))
    if isinstance(data.get("router"), dict):
        data["router"]["rules"] = _with_bundled_rules(data["router"], bundled)
    if senders is None:
        from outbound.registry import SENDERS

        senders = SENDERS
    context = {"env": dict(environ), "senders": set(senders)}
    try:
        settings = Settings.model_validate(data, context=context)
    except ValidationError as error:
        raise ConfigError(describe_validation_error(error, source=str(path or "defaults"))) from None
    fill_secrets(settings, context["env"])
    return settings


def _nested(sections: list[str], leaf: dict[str, Any]) -> dict[str, Any]:
    """`{"a": {"b": leaf}}` for sections ["a", "b"]."""
    for section in reversed(sections):
        leaf = {section: leaf}
    return leaf


def _with_bundled_rules(router: dict[str, Any], bundled: list[dict[str, Any]]) -> Any:
    """The operator's `router.rules`, then the bundled rules they do not name (none if `bundled_rules` is
    false). Theirs come first so that an error in their rule N is reported as `router.rules.N`; a list that is
    not one is returned as it is, for validation to report."""
    own = router.get("rules", [])
    if not isinstance(own, list):
        return own
    try:
        keep = TypeAdapter(bool).validate_python(router.get("bundled_rules", True))  # as the schema will read it
    except ValidationError:
        keep = True  # validation reports the value
    if not keep:
        return own
    named = {rule.get("name") for rule in own if isinstance(rule, dict)}
    return own + [rule for rule in bundled if rule["name"] not in named]


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise ConfigError(f"{path}: cannot read: {error.strerror}") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise ConfigError(f"{path}: not valid YAML: {error}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: the top level must be a mapping, got {type(data).__name__}")
    return data


def deep_merge(base: dict[str, Any], top: dict[str, Any]) -> dict[str, Any]:
    """Merge `top` over `base`: mappings merge key by key, anything else replaces."""
    merged = dict(base)
    for key, value in top.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def describe_validation_error(error: ValidationError, source: str) -> str:
    """One line per problem: `path.to.field: what is wrong (got: value)`; secrets never shown."""
    lines = [f"{source}: {error.error_count()} problem(s) in the configuration"]
    for problem in error.errors():
        location = ".".join(str(part) for part in problem["loc"]) or "(top level)"
        message = problem["msg"].removeprefix("Value error, ")
        value = problem.get("input")
        shown = ""
        if isinstance(value, (str, int, float, bool)) and not any(word in location.lower() for word in _SECRETISH):
            shown = f" (got: {value!r})"
        lines.append(f"  {location}: {message}{shown}")
    return "\n".join(lines)
