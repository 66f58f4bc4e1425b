"""Field types the schema shares: durations written as `90s`, `5m`, `24h`, `14d`, and secrets from the environment."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, PlainSerializer, SecretStr, model_validator

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)?\s*$")
_UNIT_SECONDS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, None: 1}


def parse_duration(value: Any) -> timedelta:
    """Read `5m`, `24h`, `14d`, `1.5s`, a number of seconds, or a timedelta."""
    if isinstance(value, timedelta):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return timedelta(seconds=value)
    if isinstance(value, str):
        match = _DURATION.match(value)
        if match:
            return timedelta(seconds=float(match.group(1)) * _UNIT_SECONDS[match.group(2)])
    raise ValueError(f"not a duration: {value!r} (use e.g. 30s, 5m, 24h, 14d)")


def format_duration(value: timedelta) -> str:
    """Write a timedelta back in the short form."""
    seconds = value.total_seconds()
    for unit in ("d", "h", "m"):
        if seconds and seconds % _UNIT_SECONDS[unit] == 0:
            return f"{int(seconds // _UNIT_SECONDS[unit])}{unit}"
    return f"{seconds:g}s"


Duration = Annotated[timedelta, BeforeValidator(parse_duration), PlainSerializer(format_duration, return_type=str)]


class Section(BaseModel):
    """Base of every settings section: unknown keys are an error, values are read-only.

    A field declared with `json_schema_extra={"secret_env": "<field>"}` is a
    secret: it may not be written in the YAML, and `fill_secrets` fills it
    from the environment variable that the named `<field>` holds.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    @model_validator(mode="before")
    @classmethod
    def _refuse_inline_secrets(cls, data: Any) -> Any:
        if isinstance(data, dict):
            for name in _secret_fields(cls):
                if name in data:
                    env_field = cls.model_fields[name].json_schema_extra["secret_env"]
                    raise ValueError(f"{name!r} is a secret: put it in an environment variable and name it in {env_field!r}")
        return data


def fill_secrets(model: BaseModel, environ: dict[str, str]) -> None:
    """Fill every secret field in the settings tree from the environment variable its section names.

    A pass after validation, so sections created from defaults get their secrets too.
    """
    for name in _secret_fields(type(model)):
        env_name = getattr(model, type(model).model_fields[name].json_schema_extra["secret_env"])
        value = environ.get(env_name) if env_name else None
        if value:
            object.__setattr__(model, name, SecretStr(value))
    for name in type(model).model_fields:
        for child in _children(getattr(model, name)):
            fill_secrets(child, environ)


def _children(value: Any) -> list[BaseModel]:
    if isinstance(value, BaseModel):
        return [value]
    if isinstance(value, (list, tuple)):
        return [item for item in value if isinstance(item, BaseModel)]
    if isinstance(value, dict):
        return [item for item in value.values() if isinstance(item, BaseModel)]
    return []


def _secret_fields(model: type[BaseModel]) -> list[str]:
    return [
        name for name, field in model.model_fields.items()
        if isinstance(field.json_schema_extra, dict) and "secret_env" in field.json_schema_extra
    ]
