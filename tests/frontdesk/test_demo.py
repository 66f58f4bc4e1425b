"""`frontdesk demo` with nothing at --url: the whole loop on an embedded platform, as a newcomer first sees it."""

from __future__ import annotations

import io
import re

import pytest
from rich.console import Console

from frontdesk.demo.embedded import ON_CALL
from frontdesk.demo.runner import load_complaints, run_demo
from frontdesk.redis_server import free_port

pytestmark = pytest.mark.slow  # starts `frontdesk run` with its own Redis and two workers (about 25 s)


def summary_value(output: str, name: str) -> str:
    found = re.search(rf"│ {name}\s+│ (.+?)\s+│", output)
    assert found, f"no '{name}' row in the summary:\n{output}"
    return found.group(1)


def test_the_demo_shows_every_acknowledgment_and_each_unanswered_page_escalating():
    out = io.StringIO()
    status = run_demo(f"http://127.0.0.1:{free_port()}", None, timeout=120,
                      console=Console(file=out, width=200, color_system=None))
    output = out.getvalue()
    assert status == 0, output
    assert "✓ everything arrived" in output
    assert int(summary_value(output, "messages posted")) > len(load_complaints())  # some twice, as retries
    assert int(summary_value(output, "duplicates absorbed")) == 4
    delivered, due = re.match(r"(\d+) of (\d+) due", summary_value(output, "acknowledgments delivered")).groups()
    assert delivered == due and int(due) > 0
    counted = re.match(r"(\d+) of (\d+)", summary_value(output, "paged cases acknowledged"))
    acknowledged, paged = int(counted.group(1)), int(counted.group(2))
    assert acknowledged == 1 and paged > 1
    # Each paged case reached the first person and escalated to the next, except (if the demo answered its
    # page within the 4 s acknowledgment timeout, as it should) the case the demo acknowledged.
    pages = int(summary_value(output, "pages sent"))
    assert paged * len(ON_CALL) - (len(ON_CALL) - 1) <= pages <= paged * len(ON_CALL)

