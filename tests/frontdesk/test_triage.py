"""frontdesk triage: the real router offline over jsonl, mbox and eml input, one JSON line per message."""

from __future__ import annotations

import json
from datetime import datetime, timezone

from click.testing import CliRunner

from frontdesk.cli import main
from frontdesk.models import Classification, Contact, Decision, Message, ThreadMatch
from frontdesk.triage import MemoryCases

MAIL = """From ann@example.com Mon Nov 23 10:00:00 2026
Message-ID:   <first@example.com>
From: Ann <ann@example.com>
To: help@localhost
Subject: Refund
Date: Mon, 23 Nov 2026 10:00:00 +0000

I want my refund, the kettle leaks.
>From the start it was broken.

From bob@example.com Mon Nov 23 11:00:00 2026
Message-ID: <second@example.com>
In-Reply-To: <first@example.com>
References: <first@example.com>
From: Ann <ann@example.com>
To: help@localhost
Subject: Re: Refund
Date: Mon, 23 Nov 2026 11:00:00 +0000

Still waiting. My solicitor will be in touch.

From carl@example.com Mon Nov 23 12:00:00 2026
Message-ID: <third@example.com>
From: Carl <carl@example.com>
To: help@localhost
Subject: Refund
Date: Mon, 23 Nov 2026 12:00:00 +0000

Refund please, wrong size.
"""


def run(tmp_path, fmt: str, content: str | bytes, name: str = "input"):
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    result = CliRunner().invoke(main, ["triage", "--format", fmt, "--input", str(path)])
    assert result.exit_code == 0, result.output
    return [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]


def test_jsonl_lines_in_input_order_with_cases_urgency_and_reasons(tmp_path):
    lines = [
        {"id": "a1", "channel": "slack", "sender": "u1", "thread_key": "t1",
         "text": "Smoke is coming out of the charger and my hand got burned"},
        {"id": "a2", "channel": "slack", "sender": {"handle": "u2", "name": "Dee"}, "thread_key": "t1",
         "text": "same here"},
        {"id": "b1", "channel": "api", "sender": "u3", "text": "Thank you so much, lovely staff!"},
    ]
    content = "\n".join(json.dumps(line) for line in lines) + "\nnot json\n[1, 2]\n"
    out = run(tmp_path, "jsonl", content)
    assert [line["input_id"] for line in out] == ["a1", "a2", "b1", "line:4", "line:5"]
    assert out[0]["case_id"] == out[1]["case_id"] != out[2]["case_id"]
    assert out[0]["urgency"] == "critical" and out[0]["categories"] == ["safety"]
    assert out[2]["urgency"] == "low"
    assert out[0]["reasons"][0]["source"] == "rule"
    assert out[3]["urgency"] == "normal" and out[3]["reasons"][0]["name"] == "unparsed"
    assert set(out[0]) == {"input_id", "case_id", "urgency", "categories", "reasons"}


def test_mbox_threads_replies_and_keeps_unrelated_refunds_apart(tmp_path):
    out = run(tmp_path, "mbox", MAIL)
    assert [line["input_id"] for line in out] == ["<first@example.com>", "<second@example.com>",
                                                  "<third@example.com>"]
    assert out[0]["case_id"] == out[1]["case_id"]
    assert out[2]["case_id"] != out[0]["case_id"]
    assert out[1]["urgency"] == "high" and "legal" in out[1]["categories"]


LATE_PARENT = """From ann@example.com Mon Nov 23 10:00:00 2026
Message-ID: <opening@example.com>
From: Ann <ann@example.com>
Subject: Kettle leaking
Date: Mon, 23 Nov 2026 10:00:00 +0000

My kettle leaks all over the counter.

From bob@example.com Mon Nov 23 10:20:00 2026
Message-ID: <reply@example.com>
In-Reply-To: <parent@example.com>
From: Bob <bob@example.com>
Subject: Re: Kettle leaking
Date: Mon, 23 Nov 2026 10:20:00 +0000

Mine does the same.

From ann@example.com Mon Nov 23 10:10:00 2026
Message-ID: <parent@example.com>
In-Reply-To: <opening@example.com>
From: Ann <ann@example.com>
Subject: Re: Kettle leaking
Date: Mon, 23 Nov 2026 10:10:00 +0000

Still leaking, please answer.

From cy@example.com Mon Nov 23 10:30:00 2026
Message-ID: <later@example.com>
In-Reply-To: <reply@example.com>
From: Cy <cy@example.com>
Subject: Re: Kettle leaking
Date: Mon, 23 Nov 2026 10:30:00 +0000

Same here.
"""


def test_a_parent_arriving_after_its_reply_merges_the_two_cases_from_its_line_on(tmp_path):
    opening, reply, parent, later = run(tmp_path, "mbox", LATE_PARENT)
    assert reply["case_id"] != opening["case_id"]
    assert parent["case_id"] == later["case_id"] == opening["case_id"]
    assert any(reason["source"] == "thread" and f"case {reply['case_id']} merged into" in reason["detail"]
               for reason in parent["reasons"])


def test_eml_folder_in_name_order_and_a_broken_mail_still_gets_a_line(tmp_path):
    folder = tmp_path / "mails"
    folder.mkdir()
    first, second, _ = MAIL.split("\nFrom ")
    (folder / "1.eml").write_text(first.split("\n", 1)[1])
    (folder / "2.eml").write_text(second.split("\n", 1)[1])
    (folder / "3.eml").write_bytes(b"\x00\xff garbage without headers")
    result = CliRunner().invoke(main, ["triage", "--format", "eml", "--input", str(folder)])
    assert result.exit_code == 0, result.output
    out = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    assert [line["input_id"] for line in out][:2] == ["<first@example.com>", "<second@example.com>"]
    assert out[0]["case_id"] == out[1]["case_id"]
    assert len(out) == 3


def test_unknown_format_is_refused(tmp_path):
    path = tmp_path / "x"
    path.write_text("")
    result = CliRunner().invoke(main, ["triage", "--format", "csv", "--input", str(path)])
    assert result.exit_code != 0 and "csv" in result.output


def test_memory_cases_forget_the_least_recently_used_keys():
    cases = MemoryCases(limit=2)
    now = datetime(2026, 11, 23, tzinfo=timezone.utc)
    for number in range(3):
        message = Message(id=f"m{number}", channel="slack", external_id=f"e{number}", thread_key=f"t{number}",
                          sender=Contact(channel="slack", handle="u"), text="x", sent_at=now, received_at=now)
        decision_case = cases.record(message, _decision(message))
        assert decision_case == number + 1
    assert cases.case_for_thread_keys("slack", ["t0"]) is None
    assert cases.case_for_thread_keys("slack", ["t2"]) == 3
    assert len(cases.keys) == 2


def _decision(message: Message) -> Decision:
    return Decision(message_id=message.id, thread=ThreadMatch(case_id=None),
                    classification=Classification(urgency="normal"), acknowledge=False, page=False)
