"""Writes `config/frontdesk.example.yaml` from the schema, so the example documents every key.

    python -m config.example > config/frontdesk.example.yaml

Each section opens with its model's docstring; each key carries its field
description (an attribute docstring) and its default; lists of sections show
one example entry; secrets appear only as the name of their variable.
A test keeps the committed file equal to this output.
"""

from __future__ import annotations

import json
import typing
from pathlib import Path

import yaml
from pydantic import BaseModel

from config.schema import Settings
from config.types import _secret_fields

DEFAULTS = Path(__file__).with_name("default.yaml")
# One example entry for lists of sections whose default is empty.
EXAMPLE_ITEMS = {
    ("oncall", "people"): {"id": "dana", "name": "Dana Whitfield",
                           "contact": {"apprise": "tgram://bottoken/ChatID", "slack": "U024BE7LH",
                                       "email": "dana@example.org"},
                           "notify": [{"notify": "slack"}, {"wait": "2m"}, {"notify": "apprise"}]},
    ("channels", "email", "imap"): {"name": "support", "host": "imap.example.org", "username": "support@example.org"},
    ("dashboard", "operators"): {"username": "admin", "role": "admin",
                                 "password_hash": "$argon2id$v=19$m=65536,t=3,p=4$… (from: frontdesk user hash)"},
}
EXAMPLE_VALUES = {("oncall", "escalation", "chain"): ["dana"]}


def _sections(annotation) -> list[type[BaseModel]]:
    found = []
    for candidate in (annotation, *typing.get_args(annotation)):
        if isinstance(candidate, type) and issubclass(candidate, BaseModel):
            found.append(candidate)
        found.extend(a for a in typing.get_args(candidate) if isinstance(a, type) and issubclass(a, BaseModel))
    return found


def _scalar(value) -> str:
    return json.dumps(value, ensure_ascii=False) if isinstance(value, str) and (
        not value or value.strip() != value or any(c in value for c in ":#{}[],&*!|>'\"%@`")) else (
        yaml.safe_dump(value, default_flow_style=True, width=10_000).strip().removesuffix("...").strip())


def _comment(text: str | None, indent: str) -> list[str]:
    if not text:
        return []
    return [f"{indent}# {line}".rstrip() for line in text.strip().splitlines()]


def render_section(model: type[BaseModel], data: dict, path: tuple, depth: int) -> list[str]:
    """YAML lines for one section: its keys with their descriptions and defaults."""
    indent = "  " * depth
    lines: list[str] = []
    secrets = set(_secret_fields(model))
    for name, field in model.model_fields.items():
        if name in secrets:
            env_field = field.json_schema_extra["secret_env"]
            lines.append(f"{indent}# {name}: never written here; read from the variable named by {env_field}")
            continue
        lines += _comment(field.description, indent)
        value = EXAMPLE_VALUES.get((*path, name), data.get(name))
        nested = _sections(field.annotation)
        is_mapping = typing.get_origin(field.annotation) is dict
        if isinstance(value, dict) and nested and not is_mapping:
            lines += _comment((nested[0].__doc__ or "").strip().splitlines()[0], indent)
            lines.append(f"{indent}{name}:")
            lines += render_section(nested[0], value, (*path, name), depth + 1)
        elif isinstance(value, list) and nested and (value or (*path, name) in EXAMPLE_ITEMS):
            hidden = {secret for model in nested for secret in _secret_fields(model)}
            items = [{k: v for k, v in item.items() if k not in hidden}
                     for item in (value or [EXAMPLE_ITEMS[(*path, name)]])]
            lines.append(f"{indent}{name}:")
            for item in items[:1] if name != "clients" else items:
                lines += [f"{indent}  {line}" for line in _dump([item], WIDTH - len(indent) - 2)]
        elif isinstance(value, (dict, list)):
            lines += [f"{indent}{line}" for line in _dump({name: value}, WIDTH - len(indent))]
        else:
            lines.append(f"{indent}{name}: {_scalar(value) if value is not None else 'null'}")
    return lines


WIDTH = 110


def _dump(value, width: int) -> list[str]:
    """`value` as YAML lines, flow collections wrapped between their items ("klage einreichen" stays on one line, as
    PyYAML's own wrapping would not keep it) and continued under their first item."""
    lines: list[str] = []
    for line in yaml.safe_dump(value, sort_keys=False, allow_unicode=True, width=10**6,
                               default_flow_style=None).splitlines():
        start = min((at for at in (line.find("["), line.find("{")) if at >= 0), default=-1)
        if len(line) <= width or start < 0 or line[-1] != {"[": "]", "{": "}"}[line[start]]:
            lines.append(line)
            continue
        items = line[start + 1:-1].split(", ")  # a plain item holds no ", "; a quoted one folds the break back
        current = line[:start + 1] + items[0]
        for item in items[1:]:
            if len(current) + len(item) + 3 > width:
                lines.append(current + ",")
                current = " " * (start + 1) + item
            else:
                current += ", " + item
        lines.append(current + line[-1])
    return lines


def render() -> str:
    """The whole example file."""
    from frontdesk.settings import load_settings

    settings = load_settings(None, environ={}, senders=None)
    data = json.loads(settings.model_dump_json())
    data["router"]["rules"] = data["router"]["rules"][:2]
    header = [
        "# Frontdesk's configuration: every key, with its default. Generated by `python -m config.example`;",
        "# a test keeps it in step with config/schema.py. Copy what you need into your own file:",
        "# anything you leave out keeps its default (config/default.yaml), lists replace whole (router.rules",
        "# excepted: yours come before the bundled ones).",
        "# Secrets never go in this file: each is read from the environment variable named by its `*_env` key.",
        "",
    ]
    body = render_section(Settings, data, (), 0)
    return "\n".join(header + body) + "\n"


if __name__ == "__main__":
    print(render(), end="")
