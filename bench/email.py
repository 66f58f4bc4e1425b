"""Email benchmark: mails per second through the SMTP listener to a committed case, and parse times.

1. Throughput: a real platform from scratch (embedded redis-server, SQLite in a
   temporary directory, `frontdesk serve` with the SMTP listener and
   `--workers` x `frontdesk worker`, acknowledgments to a loopback aiosmtpd
   sink). N complaints (default 3,000, each from its own sender, so each is a
   case) are sent over 16 persistent SMTP connections. Reports the rate of
   `250` answers and the end-to-end rate: first DATA to the last message
   committed on its case.
2. Parsing: every message of shared/datasets/email-corpus (read in place,
   mbox archives split into their messages) through `parse_email`, one at a
   time; p50 / p99 / max of the wall time, and how many were quarantined.

    .venv/bin/python bench/email.py [--messages 3000] [--workers 2] [--corpus ../shared/datasets/email-corpus]

The last line holds the headline figures as name=value pairs.
"""

from __future__ import annotations

import sys
from pathlib import Path

# Run as a script, this file's folder comes first on sys.path and "email" would be this file, not the stdlib.
sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != Path(__file__).resolve().parent]

import argparse  # noqa: E402
import mailbox  # noqa: E402
import os  # noqa: E402
import shutil  # noqa: E402
import smtplib  # noqa: E402
import sqlite3  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
from datetime import datetime, timezone  # noqa: E402

import yaml  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from channels.email.parse import external_id, parse_email  # noqa: E402
from frontdesk.errors import MalformedPayloadError  # noqa: E402
from frontdesk.models import RawInbound  # noqa: E402
from frontdesk.redis_server import EmbeddedRedis, free_port  # noqa: E402
from tests.channels.email.helpers import complaint  # noqa: E402
from tests.fakes.smtp_sink import SmtpSink  # noqa: E402

CONNECTIONS = 16


def start_platform(directory: Path, redis_url: str, smtp_port: int, sink_port: int, workers: int) -> list:
    """`frontdesk serve` and the workers as real processes; returns them once SMTP answers."""
    config = {"data_dir": str(directory / "var"), "redis_url": redis_url, "log_level": "WARNING",
              "http": {"port": free_port()},
              "channels": {name: {"enabled": False} for name in ("api", "webchat", "slack", "x", "mastodon")},
              "outbound": {"email": {"host": "127.0.0.1", "port": sink_port, "from_address": "help@localhost"}}}
    config["channels"]["email"] = {"smtp": {"port": smtp_port}}
    path = directory / "bench.yaml"
    path.write_text(yaml.safe_dump(config))
    log = open(directory / "platform.log", "wb")
    command = [sys.executable, "-m", "frontdesk"]
    environ = dict(os.environ, FRONTDESK_API_TOKEN="bench-token-0123456789")
    processes = [subprocess.Popen([*command, "serve", "--config", str(path)], env=environ, stdout=log, stderr=log)]
    processes += [subprocess.Popen([*command, "worker", "--config", str(path)], env=environ, stdout=log, stderr=log)
                  for _ in range(workers)]
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            smtplib.SMTP("127.0.0.1", smtp_port, timeout=2).quit()
            time.sleep(3)  # let the workers import and connect
            return processes
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"platform did not start; see {directory / 'platform.log'}")


def send_all(port: int, count: int) -> tuple[float, int]:
    """Send `count` complaints over CONNECTIONS connections, retrying a 4xx as a mail server would
    (at most 20 times each); (seconds until the last 250, number of 4xx answers)."""
    deferred = [0] * CONNECTIONS

    def worker(offset: int) -> None:
        with smtplib.SMTP("127.0.0.1", port, timeout=120) as client:
            for number in range(offset, count, CONNECTIONS):
                sender = f"customer{number}@bench.example"
                for attempt in range(20):
                    try:
                        client.sendmail(sender, ["help@localhost"], complaint(number, sender=sender))
                        break
                    except smtplib.SMTPResponseException as error:
                        if not 400 <= error.smtp_code < 500 or attempt == 19:
                            raise
                        deferred[offset] += 1
                        time.sleep(0.5 * (attempt + 1))

    started = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(offset,)) for offset in range(CONNECTIONS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started, sum(deferred)


def wait_committed(database: Path, count: int, timeout: float) -> None:
    """Wait until `count` email messages are recorded on cases."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with sqlite3.connect(database, timeout=30) as connection:
            done = connection.execute(
                "SELECT count(*) FROM messages WHERE channel = 'email' AND case_id IS NOT NULL").fetchone()[0]
        if done >= count:
            return
        time.sleep(0.1)
    raise SystemExit(f"only {done} of {count} mails reached a case within {timeout:.0f}s; see {database.parent.parent}")


def throughput(messages: int, workers: int) -> tuple[float, float, int]:
    """(250 answers per second, mails per second to committed case, 4xx answers on the way)."""
    directory = Path(tempfile.mkdtemp(prefix="frontdesk-bench-email-"))
    redis_server = EmbeddedRedis(directory).start()
    smtp_port = free_port()
    with SmtpSink() as sink:
        processes = start_platform(directory, redis_server.url, smtp_port, sink.port, workers)
        try:
            started = time.perf_counter()
            sending, deferred = send_all(smtp_port, messages)
            if workers:
                wait_committed(directory / "var" / "frontdesk.sqlite3", messages, timeout=600)
            total = time.perf_counter() - started if workers else float("inf")
        finally:
            for process in processes:
                process.terminate()
            for process in processes:
                process.wait(30)
            redis_server.stop()
    shutil.rmtree(directory, ignore_errors=True)
    return messages / sending, messages / total, deferred


def corpus_messages(corpus: Path):
    """Every message in the corpus: files as they are, mbox archives message by message."""
    for path in sorted(corpus.rglob("*")):
        if not path.is_file() or path.name.startswith(("UPSTREAM", "SOURCE")) or path.suffix == ".json":
            continue
        if path.suffix in (".mbox", ".txt") and path.parent.name == "bigbang":
            for item in mailbox.mbox(path):
                yield item.as_bytes()
        else:
            yield path.read_bytes()


def parse_times(corpus: Path) -> tuple[list[float], int]:
    """Wall time of each parse in seconds, and how many messages were quarantined."""
    times, quarantined = [], 0
    received = datetime.now(timezone.utc)
    for number, body in enumerate(corpus_messages(corpus)):
        raw = RawInbound(id=str(number), channel="email", external_id=external_id(body), received_at=received,
                         body=body, content_type="message/rfc822")
        started = time.perf_counter()
        try:
            parse_email(raw)
        except MalformedPayloadError:
            quarantined += 1
        times.append(time.perf_counter() - started)
    return times, quarantined


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile, in milliseconds."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=3000)
    parser.add_argument("--workers", type=int, default=2, help="0: measure the listener alone (no cases)")
    parser.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "datasets" / "email-corpus")
    args = parser.parse_args()
    times, quarantined = parse_times(args.corpus)
    print(f"parsed {len(times)} corpus messages, {quarantined} quarantined; "
          f"slowest {max(times) * 1000:.1f} ms")
    accepted, end_to_end, deferred = throughput(args.messages, args.workers)
    print(f"{args.messages} mails over {CONNECTIONS} SMTP connections, {args.workers} worker(s): "
          f"{accepted:.0f} accepted/s, {end_to_end:.0f}/s to committed case, {deferred} answered 451 and retried")
    print(f"smtp_accepted_per_s={accepted:.0f} smtp_to_case_per_s={end_to_end:.0f} smtp_451={deferred} "
          f"parse_p50_ms={percentile(times, 0.5):.2f} parse_p99_ms={percentile(times, 0.99):.2f} "
          f"parse_max_ms={max(times) * 1000:.1f} corpus_messages={len(times)} corpus_quarantined={quarantined}")


if __name__ == "__main__":
    main()
