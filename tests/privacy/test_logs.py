"""Logs never carry message bodies, email addresses, phone numbers or handles, and cannot be forged.

The end-to-end test turns every logger up to DEBUG (as an operator chasing a
bug would), sends the canary person through every registered channel, makes
a job fail with the email address in its error, and greps what was logged.
It also greps a dump of Redis and the RQ job registries taken after the
normal traffic: jobs carry ids, never personal data.
"""

from __future__ import annotations

import ast
import io
import logging
from pathlib import Path

import pytest
from rq import Queue, SimpleWorker
from rq.job import Job
from rq.registry import (
    CanceledJobRegistry, DeferredJobRegistry, FailedJobRegistry, FinishedJobRegistry, ScheduledJobRegistry,
    StartedJobRegistry,
)

from frontdesk.privacy.logs import CONTENT_FIELD, install_log_redaction, redact, remove_log_redaction
from frontdesk.privacy.redis_scrub import job_text
from frontdesk.queue import QUEUE_ORDER
from tests.privacy.canary import EMAIL, Fakes, redis_dump, send_everywhere, traces

FORMAT = "%(asctime)s %(levelname)s %(processName)s %(name)s: %(message)s"


@pytest.mark.parametrize("text, expected", [
    ("mail from ann.smith+x@example.co.uk re: refund", "mail from <email> re: refund"),
    ("call me on +44 (0)20 7946 0958 now", "call me on <phone> now"),
    ("ping @ann_s and @bob@mastodon.social", "ping <handle> and <handle>"),
    ('payload {"text": "it \\"burnt\\" down", "id": 5}', 'payload {"text": <redacted>, "id": 5}'),
    ("Message(text='hello', subject='hi', id=3)", "Message(text=<redacted>, subject=<redacted>, id=3)"),
    ("routed 01JABCDEF in 3.2 ms on 2026-11-23, batch=5000", "routed 01JABCDEF in 3.2 ms on 2026-11-23, batch=5000"),
    ("Subject\r\n2026-01-01 00:00:00 INFO forged: ok", "Subject\\r\\n2026-01-01 00:00:00 INFO forged: ok"),
    ("nel\u0085ls\u2028ps\u2029bell\x07", "nel\\x85ls\\u2028ps\\u2029bell\\x07"),
])
def test_redact(text, expected):
    assert redact(text) == expected


@pytest.fixture
def captured():
    """Every record of every logger at DEBUG, formatted as `frontdesk` formats them, with redaction installed."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter(FORMAT))
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    install_log_redaction()
    yield stream
    remove_log_redaction()
    root.removeHandler(handler)
    root.setLevel(level)


LOG_CALLS = {"debug", "info", "warning", "error", "exception", "critical"}
OWN_PACKAGES = ("frontdesk", "channels", "router", "classifier", "outbound", "workers", "config")


def logged_format(node: ast.AST) -> str | None:
    """The literal format string of a `<logger>.<level>("…", …)` call, else None."""
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in LOG_CALLS):
        return None
    first = node.args[0] if node.args else None
    return first.value if isinstance(first, ast.Constant) and isinstance(first.value, str) else None


def own_log_formats():
    """(file, line, format) of every literal format string our code hands a logger."""
    root = Path(__file__).resolve().parents[2]
    for package in OWN_PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if (text := logged_format(node)) is not None:
                    yield path.relative_to(root), node.lineno, text


def test_our_own_log_lines_keep_their_words():
    """A fixed word after "email:" or "name=" in our own format string would be redacted as if it were content
    ("email: mailbox INBOX: …" lost "mailbox"): only a %s argument may stand where redaction looks for content."""
    eaten = [(str(path), line, match.group(0)) for path, line, text in own_log_formats()
             for match in CONTENT_FIELD.finditer(text) if not match.group("value").lstrip("\"'").startswith("%")]
    assert eaten == []


def test_the_mount_lines_name_their_channels(captured, make_platform):
    make_platform()
    mounted = [line for line in captured.getvalue().splitlines() if "routes mounted" in line]
    assert any(line.endswith("frontdesk.web.app: email channel: routes mounted") for line in mounted)
    assert any(line.endswith("frontdesk.web.app: api channel: routes mounted") for line in mounted)
    assert not [line for line in mounted if "<redacted>" in line]


def test_a_subject_cannot_forge_a_log_line_and_tracebacks_are_redacted(captured):
    log = logging.getLogger("frontdesk.test")
    log.warning("subject: %s", "refund\r\n2026-11-23 12:00:00,000 INFO MainProcess frontdesk: case closed")
    try:
        int(f"not a number {EMAIL}")
    except ValueError:
        log.exception("job failed")
    lines = captured.getvalue().splitlines()
    assert len([line for line in lines if not line.startswith("    | ")]) == 2
    assert "case closed" in lines[0] and traces(captured.getvalue()) == []
    assert any("<email>" in line for line in lines if line.startswith("    | "))


def registry_dump(connection) -> str:
    """Every job in every RQ queue and registry, decoded."""
    texts = []
    for name in QUEUE_ORDER:
        queue = Queue(name, connection=connection)
        ids = set(queue.job_ids)
        for registry in (StartedJobRegistry, FinishedJobRegistry, FailedJobRegistry, DeferredJobRegistry,
                         ScheduledJobRegistry, CanceledJobRegistry):
            ids.update(registry(queue=queue).get_job_ids())
        for job_id in sorted(ids):
            job = Job.fetch(job_id, connection=connection)
            texts.append(job_text(job).decode(errors="replace"))
    return "\n".join(texts)


def test_canaries_through_every_channel_reach_no_log_no_redis_value_and_no_job(captured, make_platform):
    with Fakes() as fakes:
        platform = make_platform(log_level="DEBUG", **fakes.settings())
        send_everywhere(platform, fakes, failing_job=False)
        connection = platform.runtime.redis
        assert traces(redis_dump(connection)) == []
        assert traces(registry_dump(connection)) == []
        Queue("outbound", connection=connection).enqueue("builtins.int", f"not a number {EMAIL}")
        SimpleWorker(["outbound"], connection=connection).work(burst=True, logging_level="DEBUG")
        assert EMAIL in registry_dump(connection)  # the dump does see failed jobs
    logged = captured.getvalue()
    assert "routed" in logged or "HTTP" in logged or "rq" in logged
    assert "Traceback" in logged and "<email>" in logged
    assert traces(logged) == []
