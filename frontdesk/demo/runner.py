"""`frontdesk demo`: push the bundled complaints through the pipeline and show what happened.

Against a platform already answering at `--url`, it uses that platform and
reports what the platform recorded. With nothing there, it starts its own
embedded platform wired to loopback receivers, so acknowledgments and pages
can be seen arriving, and acknowledges the first page itself.
"""

from __future__ import annotations

import json
import os
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import requests
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from frontdesk.demo.embedded import ON_CALL, EmbeddedPlatform
from frontdesk.demo.receivers import LoopThread, Received, Receiver
from frontdesk.models import case_reference

COMPLAINTS = Path(__file__).with_name("complaints.jsonl")
RESENT = ("demo-003", "demo-005", "demo-010", "demo-021")  # delivered twice, as a retrying client would


@dataclass
class Tally:
    """What the demo saw."""

    posted: int = 0
    duplicates: int = 0
    message_ids: set = field(default_factory=set)
    cases: list = field(default_factory=list)
    acknowledged_by_demo: int | None = None
    escalated: bool = False


def load_complaints() -> list[dict]:
    """The bundled sample complaints."""
    return [json.loads(line) for line in COMPLAINTS.read_text().splitlines() if line.strip()]


def answering(url: str) -> bool:
    """Whether a Frontdesk answers /healthz at `url`."""
    try:
        return requests.get(f"{url}/healthz", timeout=2).status_code in (200, 503)
    except requests.RequestException:
        return False


def saved_token() -> str | None:
    """The token `frontdesk run` saved in its data directory, if any."""
    path = Path(os.environ.get("FRONTDESK_DATA_DIR", "var")) / "api-token"
    return path.read_text().strip() if path.exists() else None


def run_demo(url: str, token: str | None, timeout: float, console: Console | None = None) -> int:
    """Run the demo; returns the process exit status (0 when everything arrived)."""
    console = console or Console()
    loop, receiver, embedded, status = LoopThread(), None, None, 1
    try:
        if not answering(url):
            receiver = Receiver().start(loop)
            console.print(f"Nothing answers at {url}: starting an embedded platform for the demo…")
            embedded = EmbeddedPlatform(receiver.url).start()
            url, token = embedded.url, embedded.token
        token = token or saved_token()
        if not token:
            console.print("[red]No API token: set FRONTDESK_API_TOKEN or pass --token[/]")
            return 2
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {token}"
        tally = Tally()
        try:
            post_all(session, url, tally, console)
            wait_for_cases(session, url, tally, timeout)
            if receiver is not None:
                tally.acknowledged_by_demo = acknowledge_first_page(session, url, receiver, timeout)
                wait_for(lambda: len(receiver.on("/ack")) >= expected_acks(tally), timeout)
                tally.escalated = wait_for(lambda: escalated(receiver, tally.acknowledged_by_demo), timeout)
            refresh(session, url, tally)
        except requests.RequestException as error:
            return refused(error, url, tally, console)
        status = report(tally, receiver, console)
        return status
    finally:
        if embedded is not None:
            embedded.stop(keep=status != 0)
            if status != 0:
                console.print(f"The embedded platform's log is kept in {embedded.directory / 'platform.log'}")
        loop.close()


def refused(error: requests.RequestException, url: str, tally: Tally, console: Console) -> int:
    """Say why the platform at `url` stopped the demo; the exit status (2: the token, 1: anything else)."""
    answer = error.response.status_code if error.response is not None else None
    if answer in (401, 403):
        console.print(f"[red]The platform at {url} refused the API token ({answer}): pass --token or set "
                      "FRONTDESK_API_TOKEN (`frontdesk run` saves its token in var/api-token)[/]")
        return 2
    why = f"answered {answer}" if answer is not None else f"stopped answering ({type(error).__name__})"
    console.print(f"[red]The platform at {url} {why} after {tally.posted} of the demo's messages[/]")
    return 1


def post_all(session: requests.Session, url: str, tally: Tally, console: Console) -> None:
    """POST every complaint (some twice) with a progress bar."""
    complaints = load_complaints()
    sends = complaints + [c for c in complaints if c["external_id"] in RESENT]
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task("Sending complaints", total=len(sends))
        for complaint in sends:
            response = session.post(f"{url}/api/messages", json=complaint, timeout=30)
            response.raise_for_status()
            answer = response.json()
            tally.posted += 1
            tally.duplicates += answer["duplicate"]
            tally.message_ids.add(answer["id"])
            progress.advance(task)


def wait_for(condition, timeout: float, interval: float = 0.3) -> bool:
    """Poll `condition` until true or `timeout` seconds pass."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(interval)
    return condition()


def wait_for_cases(session: requests.Session, url: str, tally: Tally, timeout: float) -> None:
    """Wait until every distinct message sits in a case."""
    def all_routed() -> bool:
        refresh(session, url, tally)
        return sum(case["message_count"] for case in tally.cases) >= len(tally.message_ids)
    wait_for(all_routed, timeout)


def refresh(session: requests.Session, url: str, tally: Tally) -> None:
    """Read back the details of every case the demo's messages are in."""
    listing = session.get(f"{url}/api/cases", params={"limit": 1000}, timeout=30).json()["cases"]
    details = [session.get(f"{url}/api/cases/{case['id']}", timeout=30).json() for case in listing]
    tally.cases = [d for d in details if any(m["id"] in tally.message_ids for m in d["messages"])]


def expected_acks(tally: Tally) -> int:
    """Acknowledgments the platform planned and did not hold back by policy (opt-outs, robots)."""
    return sum(1 for case in tally.cases for d in case["deliveries"] if d["kind"] == "ack" and d["status"] != "skipped")


def acknowledge_first_page(session: requests.Session, url: str, receiver: Receiver, timeout: float) -> int | None:
    """Wait for the first page, acknowledge its case through the API as the on-call person would."""
    if not wait_for(lambda: receiver.under("/page/"), timeout):
        return None
    first = receiver.under("/page/")[0]
    case_id = paged_case(first)
    session.post(f"{url}/api/cases/{case_id}/ack", json={"by": paged_person(first)}, timeout=30).raise_for_status()
    return case_id


def paged_case(page: Received) -> int:
    """The case a page is about (its text links to the case)."""
    return int(page.json()["message"].split("/api/cases/")[1].split("/")[0])


def paged_person(page: Received) -> str:
    """Whom a page went to (the receiver's path is /page/<person>)."""
    return page.path.rsplit("/", 1)[-1]


def escalated(receiver: Receiver, acknowledged: int | None) -> bool:
    """Every paged case but the one the demo acknowledged has paged each person of the chain in turn."""
    reached: dict[int, set[str]] = {}
    for page in receiver.under("/page/"):
        reached.setdefault(paged_case(page), set()).add(paged_person(page))
    return all(set(ON_CALL) <= people for case, people in reached.items() if case != acknowledged)


def report(tally: Tally, receiver: Receiver | None, console: Console) -> int:
    """Print the per-case table and the summary; 0 when everything expected arrived."""
    deliveries = [d for case in tally.cases for d in case["deliveries"]]
    acks_sent = sum(1 for d in deliveries if d["kind"] == "ack" and d["status"] == "sent")
    pages_sent = sum(1 for d in deliveries if d["kind"] == "page" and d["status"] == "sent")
    paged_cases = [case for case in tally.cases if any(d["kind"] == "page" for d in case["deliveries"])]
    acked = sum(1 for case in paged_cases if case["acknowledged_at"])
    held_back = sum(1 for d in deliveries if d["kind"] == "ack" and d["status"] == "skipped")
    cases_table(tally, console)
    urgencies = Counter(case["urgency"] for case in tally.cases)
    summary = Table(title="Demo summary", show_header=False)
    rows = [
        ("messages posted", tally.posted), ("duplicates absorbed", tally.duplicates),
        ("cases opened", len(tally.cases)),
        ("urgency", ", ".join(f"{u} {urgencies[u]}" for u in ("critical", "high", "normal", "low") if urgencies[u])),
        ("acknowledgments delivered", f"{acks_sent} of {expected_acks(tally)} due"
                                      + (f" ({len(receiver.on('/ack'))} received)" if receiver else "")),
        ("acknowledgments held back", f"{held_back} (opted out or automated sender)"),
        ("pages sent", pages_sent), ("paged cases acknowledged", f"{acked} of {len(paged_cases)}"),
    ]
    for name, value in rows:
        summary.add_row(name, str(value))
    console.print(summary)
    problems = []
    if sum(case["message_count"] for case in tally.cases) < len(tally.message_ids):
        problems.append("not every message reached a case")
    if acks_sent < expected_acks(tally) or (receiver and len(receiver.on("/ack")) < acks_sent):
        problems.append("not every acknowledgment was delivered")
    if receiver is not None and (not pages_sent or tally.acknowledged_by_demo is None):
        problems.append("no page arrived to acknowledge")
    elif receiver is not None and not tally.escalated:
        problems.append("an unacknowledged page did not escalate to the next person")
    for note in configuration_notes(tally):
        console.print(f"[yellow]! {note}[/]")
    for problem in problems:
        console.print(f"[red]✗ {problem}[/]")
    if not problems:
        console.print("[green]✓ everything arrived[/]")
    return 1 if problems else 0


def configuration_notes(tally: Tally) -> list[str]:
    """What the platform's configuration left undone on purpose (it records why as case events)."""
    kinds = [event for case in tally.cases for event in case["events"]]
    notes = []
    if any(e["kind"] == "acknowledgment_skipped" and "cannot reply" in str(e["data"].get("reason")) for e in kinds):
        notes.append("acknowledgments were planned but this platform's API client has no callback_url to send them to "
                     "(channels.api.clients[].callback_url); run the demo with nothing at --url to see the whole loop")
    if any(e["kind"] == "no_one_on_call" for e in kinds):
        notes.append("urgent cases were recorded but nobody was paged: this platform has no on-call roster (oncall.people)")
    return notes


def cases_table(tally: Tally, console: Console) -> None:
    """One row per case: reference, urgency, categories, messages, the main reason."""
    table = Table(title="Cases")
    for column in ("case", "urgency", "categories", "msgs", "ack", "paged", "why"):
        table.add_column(column, overflow="fold")
    for case in sorted(tally.cases, key=lambda c: c["id"]):
        reasons = [r for r in case["reasons"] if r["source"] in ("rule", "model")]
        ack = next((d["status"] for d in case["deliveries"] if d["kind"] == "ack"), "-")
        paged = ", ".join(sorted({d["recipient"] for d in case["deliveries"] if d["kind"] == "page"})) or "-"
        if case["acknowledged_by"]:
            paged += f" (ack: {case['acknowledged_by'].split(' ')[0]})"
        table.add_row(case_reference(case["id"]), case["urgency"], ", ".join(case["categories"]),
                      str(case["message_count"]), ack, paged, reasons[0]["name"] if reasons else "default")
    console.print(table)
