"""Settings: defaults, the operator's file over them, secrets from the environment, errors that help."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from config.example import render
from frontdesk.cli import main
from frontdesk.errors import ConfigError
from frontdesk.settings import load_settings

ROOT = Path(__file__).resolve().parents[2]


def write(tmp_path, data) -> Path:
    path = tmp_path / "frontdesk.yaml"
    path.write_text(data if isinstance(data, str) else yaml.safe_dump(data))
    return path


def test_defaults_load_without_a_file():
    settings = load_settings(None, environ={})
    assert settings.http.port == 8080 and settings.redis_url is None
    assert settings.channels.api.clients[0].token is None
    assert any(rule.name == "safety.hazard" for rule in settings.router.rules)


def test_the_file_overrides_and_the_environment_fills_secrets(tmp_path):
    path = write(tmp_path, {"http": {"port": 9000}, "channels": {"api": {"clients": [
        {"name": "crm", "token_env": "CRM_TOKEN", "callback_url": "https://crm.example.org/hook"}]}}})
    settings = load_settings(path, environ={"CRM_TOKEN": "s3cret", "FRONTDESK_DATA_DIR": "/srv/frontdesk"})
    assert settings.http.port == 9000 and settings.http.host == "127.0.0.1"
    assert settings.channels.api.clients[0].token.get_secret_value() == "s3cret"
    assert str(settings.data_dir) == "/srv/frontdesk"


BUNDLED = [rule.name for rule in load_settings(None, environ={}).router.rules]
RECALL = {"name": "product.recall-kx3", "urgency": "critical", "categories": ["safety"], "keywords": ["KX-3"]}


def test_the_operators_rules_come_first_and_the_bundled_ones_follow(tmp_path):
    settings = load_settings(write(tmp_path, {"router": {"rules": [RECALL]}}), environ={})
    assert [rule.name for rule in settings.router.rules] == ["product.recall-kx3", *BUNDLED]


def test_a_rule_with_a_bundled_rules_name_replaces_it(tmp_path):
    mine = {"name": "safety.fire", "urgency": "critical", "categories": ["safety"], "keywords": ["caught fire"]}
    rules = load_settings(write(tmp_path, {"router": {"rules": [mine]}}), environ={}).router.rules
    assert [rule.name for rule in rules] == ["safety.fire", *(name for name in BUNDLED if name != "safety.fire")]
    assert rules[0].urgency == "critical" and rules[0].keywords == ["caught fire"]


def test_bundled_rules_can_be_turned_off(tmp_path):
    settings = load_settings(write(tmp_path, {"router": {"rules": [RECALL], "bundled_rules": False}}), environ={})
    assert [rule.name for rule in settings.router.rules] == ["product.recall-kx3"]
    assert load_settings(write(tmp_path, {"router": {"bundled_rules": False}}), environ={}).router.rules == []
    assert load_settings(write(tmp_path, 'router: {bundled_rules: "off"}'), environ={}).router.rules == []


def test_a_file_copied_from_the_example_keeps_every_bundled_rule():
    settings = load_settings(ROOT / "config" / "frontdesk.example.yaml", environ={})
    assert [rule.name for rule in settings.router.rules] == BUNDLED


@pytest.mark.parametrize("data, expected", [
    ({"http": {"port": 70000}}, "http.port: Input should be less than or equal to 65535 (got: 70000)"),
    ({"http": {"prot": 1}}, "http.prot: Extra inputs are not permitted (got: 1)"),
    ({"router": {"rules": [{"name": "bad", "urgency": "high", "patterns": ["("]}]}},
     "router.rules.0.patterns: pattern '(' does not compile"),
    ({"router": {"rules": {"name": "not-a-list"}}}, "router.rules: Input should be a valid list"),
    ({"router": {"bundled_rules": "maybe"}}, "router.bundled_rules: Input should be a valid boolean"),
    ({"router": {"rules": [RECALL, RECALL]}}, "rule names must be unique, repeated: ['product.recall-kx3']"),
    ({"router": {"thread_window": "fortnight"}}, "router.thread_window: not a duration: 'fortnight'"),
    ({"oncall": {"people": [{"id": "dana", "name": "Dana", "contact": {"pager": "x"}, "notify": [{"notify": "pager"}]}]}},
     "'pager' is not a sender"),
    ({"oncall": {"escalation": {"chain": ["nobody"]}}}, "escalation.chain names unknown people ['nobody']"),
])
def test_bad_values_name_the_field_and_the_value(tmp_path, data, expected):
    with pytest.raises(ConfigError) as error:
        load_settings(write(tmp_path, data), environ={})
    assert expected in str(error.value)


def test_a_secret_written_in_the_file_is_refused_and_never_printed(tmp_path):
    path = write(tmp_path, {"channels": {"api": {"clients": [{"name": "default", "token": "hunter2-secret"}]}}})
    result = CliRunner().invoke(main, ["check-config", str(path)])
    assert result.exit_code == 1
    assert "'token' is a secret: put it in an environment variable and name it in 'token_env'" in result.output
    assert "hunter2-secret" not in result.output


def test_unreadable_and_malformed_files(tmp_path):
    with pytest.raises(ConfigError, match="cannot read"):
        load_settings(tmp_path / "missing.yaml", environ={})
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_settings(write(tmp_path, "http: [unclosed"), environ={})
    with pytest.raises(ConfigError, match="top level must be a mapping"):
        load_settings(write(tmp_path, "- a\n- b\n"), environ={})


def test_check_config_accepts_the_example():
    result = CliRunner().invoke(main, ["check-config", str(ROOT / "config" / "frontdesk.example.yaml")])
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"{ROOT / 'config' / 'frontdesk.example.yaml'}: ok")


def test_the_example_documents_every_key_of_the_schema():
    committed = (ROOT / "config" / "frontdesk.example.yaml").read_text()
    assert committed == render(), "regenerate with: python -m config.example > config/frontdesk.example.yaml"


def test_a_run_keeps_mail_in_its_outbox_only_when_no_relay_is_configured(tmp_path):
    from frontdesk.platform import OUTBOX_ENV, ensure_mail_outbox

    environ: dict[str, str] = {}
    settings = load_settings(None, environ={"FRONTDESK_DATA_DIR": str(tmp_path / "var")})
    assert ensure_mail_outbox(settings, environ) == tmp_path / "var" / "outbox"
    assert load_settings(None, environ=environ).outbound.email.outbox == tmp_path / "var" / "outbox"

    relay = tmp_path / "relay.yaml"
    relay.write_text("outbound:\n  email:\n    host: mail.shop.example\n")
    assert ensure_mail_outbox(load_settings(relay, environ={}), {}) is None
    chosen = {OUTBOX_ENV: "/srv/mail/outbox"}  # the operator's own choice stays
    assert ensure_mail_outbox(load_settings(None, environ=chosen), chosen) is None
    assert chosen == {OUTBOX_ENV: "/srv/mail/outbox"}
