"""The design's fixed points, checked: import directions, registries, fixtures, compose file, migrations."""

from __future__ import annotations

import ast
import warnings
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from channels.registry import CHANNELS
from frontdesk.cli import main
from outbound.registry import SENDERS

ROOT = Path(__file__).resolve().parent.parent
# package -> top-level packages it must never import (ARCHITECTURE.md "Layout", STYLE.md rule 1)
FORBIDDEN = {
    "channels": {"router", "classifier", "outbound", "workers"},
    "router": {"channels", "classifier", "outbound", "workers"},
    "classifier": {"channels", "router", "outbound", "workers", "frontdesk.store", "frontdesk.queue", "rq", "redis"},
    "outbound": {"channels", "router", "classifier", "workers"},
}


def imports_of(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_packages_import_only_what_the_layout_allows(package):
    offences = []
    for path in sorted((ROOT / package).rglob("*.py")):
        for name in imports_of(path):
            for forbidden in FORBIDDEN[package]:
                if name == forbidden or name.startswith(forbidden + "."):
                    offences.append(f"{path.relative_to(ROOT)} imports {name}")
    assert offences == []


def test_core_knows_no_single_channel():
    offences = [f"{path.relative_to(ROOT)} imports {name}"
                for path in sorted((ROOT / "frontdesk").rglob("*.py"))
                for name in imports_of(path)
                if any(name.startswith(f"channels.{slug}") for slug in CHANNELS)]
    assert offences == []


def test_every_channel_package_is_registered_and_has_fixtures():
    packages = {p.name for p in (ROOT / "channels").iterdir() if (p / "__init__.py").exists()}
    assert packages == set(CHANNELS)
    for slug, adapter in CHANNELS.items():
        assert adapter.slug == slug
        assert (ROOT / "tests" / "fixtures" / slug / "SOURCE.md").exists(), f"tests/fixtures/{slug}/SOURCE.md"


def test_every_sender_module_is_registered():
    modules = {p.stem for p in (ROOT / "outbound").glob("*.py")} & {*SENDERS, *CHANNELS}
    assert modules <= set(SENDERS)
    for slug, sender in SENDERS.items():
        assert sender.slug == slug


def test_compose_services_run_real_cli_commands():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert {"redis", "postgres", "serve"} <= set(services)
    assert sum(1 for s in services.values() if s.get("command", [None])[0] == "worker") == 2
    redis_command = " ".join(services["redis"]["command"])
    assert "--appendonly yes" in redis_command and "--maxmemory-policy noeviction" in redis_command
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert 'ENTRYPOINT ["frontdesk"]' in dockerfile
    for name, service in services.items():
        if service.get("build"):
            command = service["command"]
            result = CliRunner().invoke(main, [*command, "--help"])
            assert result.exit_code == 0, f"{name}: frontdesk {' '.join(command)}: {result.output}"
    for package in ("frontdesk", "channels", "router", "classifier", "outbound", "workers", "config"):
        assert f"COPY {package} ./{package}" in dockerfile


def test_migrations_match_the_tables(tmp_path):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    import importlib
    import pkgutil

    import frontdesk
    from frontdesk.store.db import make_engine, migrate
    from frontdesk.store.tables import Base

    for module in pkgutil.walk_packages(frontdesk.__path__, "frontdesk."):
        if ".migrations" not in module.name and module.name != "frontdesk.__main__":
            importlib.import_module(module.name)  # tables declared beside their feature join Base.metadata

    engine = make_engine(f"sqlite:///{tmp_path / 'm.sqlite3'}")
    migrate(engine)
    with engine.connect() as connection, warnings.catch_warnings():
        # Expression indexes (lower(contacts.email)) cannot be reflected from SQLite; migration 0303 creates it.
        warnings.filterwarnings("ignore", message=".*expression-based index")
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert differences == []
