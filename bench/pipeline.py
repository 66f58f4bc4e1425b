"""End-to-end pipeline benchmark: POST /api/messages -> routed case -> acknowledgment (and page) delivered.

Starts a real platform from scratch for each worker count (embedded redis-server,
SQLite, `frontdesk serve` and `frontdesk worker` processes), with loopback
receivers for acknowledgment webhooks and Apprise json:// pages, then:

  1. throughput: posts N messages (default 20,000) as fast as 64 connections allow;
  2. latency: posts at a fixed offered rate (default 500/s) for a fixed time.

Prints accepted/s, end-to-end messages/s (first POST to last acknowledgment),
POST->acknowledgment p50/p99 at the fixed rate, POST->page p99 for urgent
messages, and the peak RSS of the whole process tree.

    .venv/bin/python bench/pipeline.py [--messages 20000] [--rate 500] [--seconds 10] [--workers 1,2]
                                       [--database-url postgresql://…]

With `--messages 0` the fixed-rate run is the first traffic a just-started platform sees.

The load generator and the receivers are plain asyncio HTTP/1.1 (bench/loadgen.py): they share the two cores
with the platform, and aiohttp's client and server cost three times as much CPU per message.
"""

from __future__ import annotations

import sys
from pathlib import Path

# Run as a script, bench/ would come first on sys.path and bench/email.py would shadow the stdlib.
sys.path[0] = str(Path(__file__).resolve().parent.parent)

import argparse  # noqa: E402
import asyncio  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import re  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402

import psutil  # noqa: E402
import requests  # noqa: E402
import yaml  # noqa: E402

from bench.loadgen import LeanReceiver, post_all  # noqa: E402
from frontdesk.demo.receivers import LoopThread  # noqa: E402
from frontdesk.redis_server import EmbeddedRedis, free_port  # noqa: E402

TOKEN = "bench-token-0123456789abcdef"
SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
MARK = re.compile(r"\[bench:([\w-]+)\]")
URGENT_EVERY = 50


class Platform:
    """Redis, `frontdesk serve` and `workers` x `frontdesk worker` as real processes in a temp dir."""

    def __init__(self, workers: int, receiver_url: str, database_url: str | None = None):
        self.directory = Path(tempfile.mkdtemp(prefix="frontdesk-bench-"))
        self.redis = EmbeddedRedis(self.directory).start()
        self.port = free_port()
        host = receiver_url.removeprefix("http://")
        config = {
            "data_dir": str(self.directory / "var"), "redis_url": self.redis.url,
            **({"database_url": database_url} if database_url else {}),
            "http": {"port": self.port}, "log_level": "WARNING",
            "channels": {"api": {"clients": [{"name": "default", "callback_url": f"{receiver_url}/ack"}]}},
            "oncall": {"people": [{"id": "dana", "name": "Dana", "contact": {"apprise": f"json://{host}/page"},
                                   "notify": [{"notify": "apprise"}]}],
                       "escalation": {"ack_timeout": "10m", "rounds": 1}},
        }
        for section in ("email", "webchat", "slack", "x", "mastodon"):
            config["channels"][section] = {"enabled": False}
        self.config = self.directory / "bench.yaml"
        self.config.write_text(yaml.safe_dump(config))
        environ = dict(os.environ, FRONTDESK_API_TOKEN=TOKEN, FRONTDESK_WEBHOOK_SECRET=SECRET)
        log = open(self.directory / "platform.log", "wb")
        command = [sys.executable, "-m", "frontdesk"]
        self.processes = [subprocess.Popen([*command, "serve", "--config", str(self.config)], env=environ,
                                           stdout=log, stderr=subprocess.STDOUT)]
        self.processes += [subprocess.Popen([*command, "worker", "--config", str(self.config)], env=environ,
                                            stdout=log, stderr=subprocess.STDOUT) for _ in range(workers)]
        self._wait_healthy()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _wait_healthy(self) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if requests.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    time.sleep(3)  # let the workers import and connect
                    return
            except requests.RequestException:
                time.sleep(0.3)
        self.stop()
        raise SystemExit(f"platform did not start; see {self.directory / 'platform.log'}")

    def rss_bytes(self) -> int:
        total = 0
        for pid in [p.pid for p in self.processes] + [self.redis.process.pid]:
            try:
                process = psutil.Process(pid)
                total += process.memory_info().rss + sum(c.memory_info().rss for c in process.children(recursive=True))
            except psutil.NoSuchProcess:
                pass
        return total

    def cpu_seconds(self) -> dict[str, float]:
        """CPU time (user + system) used so far by the server, the workers (with their children) and Redis."""
        def used(pids: list[int]) -> float:
            total = 0.0
            for pid in pids:
                try:
                    process = psutil.Process(pid)
                    for each in (process, *process.children(recursive=True)):
                        times = each.cpu_times()
                        total += times.user + times.system
                except psutil.NoSuchProcess:
                    pass
            return total
        return {"server": used([self.processes[0].pid]), "workers": used([p.pid for p in self.processes[1:]]),
                "redis": used([self.redis.process.pid])}

    def stop(self) -> None:
        for process in self.processes:
            process.terminate()
        for process in self.processes:
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                process.kill()
        self.redis.stop()


class Arrivals:
    """Arrival times by bench id, filled from the receiver's requests."""

    def __init__(self, receiver: LeanReceiver):
        self.receiver = receiver
        self.seen = 0
        self.acks: dict[str, float] = {}
        self.pages: dict[str, float] = {}

    def collect(self) -> None:
        arrived = self.receiver.requests[self.seen:]  # a copy: the receiver's thread keeps appending
        self.seen += len(arrived)
        for item in arrived:
            if item.path == "/ack":  # the webhook names the message: data.external_id is "<client>:<id>"
                bench_id = item.json()["data"]["external_id"].split(":", 1)[1]
                self.acks.setdefault(bench_id, item.at)
                continue
            found = MARK.search(item.body.decode(errors="replace"))  # pages quote the message's text
            if found:
                self.pages.setdefault(found.group(1), item.at)


def body(bench_id: str, index: int) -> dict:
    urgent = index % URGENT_EVERY == 0
    text = ("The charger caught fire and there is smoke everywhere" if urgent
            else "My parcel arrived late and the box was damaged")
    return {"external_id": bench_id, "sender": {"handle": f"{bench_id}-sender", "name": "Bench"},
            "subject": f"[bench:{bench_id}]", "text": f"{text} [bench:{bench_id}]"}


def post_many(url: str, ids: list[str], rate: float | None, sent: dict[str, float]) -> float:
    """POST every id (at `rate` per second, or as fast as 64 connections allow); returns seconds taken."""
    host, port = url.removeprefix("http://").split(":")

    def on_send(index: int) -> None:
        sent[ids[index]] = time.monotonic()

    return asyncio.run(post_all(host, int(port), "/api/messages", TOKEN,
                                lambda index: json.dumps(body(ids[index], index)).encode(), len(ids), rate, on_send))


def wait_for(arrivals: Arrivals, ids: list[str], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        arrivals.collect()
        if all(i in arrivals.acks for i in ids):
            return
        time.sleep(0.2)
    arrivals.collect()
    missing = sum(1 for i in ids if i not in arrivals.acks)
    raise SystemExit(f"{missing} acknowledgments never arrived")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def run(workers: int, messages: int, rate: float, seconds: float, database_url: str | None) -> dict[str, float]:
    loop = LoopThread()
    receiver = LeanReceiver().start(loop)
    platform = Platform(workers, receiver.url, database_url)
    peak = [0]
    stop = threading.Event()

    def sample() -> None:
        while not stop.wait(0.5):
            peak[0] = max(peak[0], platform.rss_bytes())
    threading.Thread(target=sample, daemon=True).start()
    try:
        arrivals = Arrivals(receiver)
        sent: dict[str, float] = {}
        posting = e2e = float("nan")
        cpu = dict.fromkeys(("server", "workers", "redis", "bench"), float("nan"))
        if messages:  # with none, the fixed-rate run meets a platform that has routed nothing yet
            throughput_ids = [f"t{workers}-{i}" for i in range(messages)]
            cpu_before = platform.cpu_seconds()
            own_before = time.process_time()  # this process: the load generator and the receivers
            posting = post_many(platform.url, throughput_ids, None, sent)
            wait_for(arrivals, throughput_ids, timeout=600)
            e2e = messages / (max(arrivals.acks[i] for i in throughput_ids) - min(sent[i] for i in throughput_ids))
            cpu = {name: (used - cpu_before[name]) * 1000 / messages for name, used in platform.cpu_seconds().items()}
            cpu["bench"] = (time.process_time() - own_before) * 1000 / messages

        latency_ids = [f"l{workers}-{i}" for i in range(int(rate * seconds))]
        post_many(platform.url, latency_ids, rate, sent)
        wait_for(arrivals, latency_ids, timeout=300)
        time.sleep(1.0)
        arrivals.collect()
        latencies = [(arrivals.acks[i] - sent[i]) * 1000 for i in latency_ids]
        urgent = [i for n, i in enumerate(latency_ids) if n % URGENT_EVERY == 0 and i in arrivals.pages]
        page_latencies = [(arrivals.pages[i] - sent[i]) * 1000 for i in urgent]
        return {"accepted_per_s": messages / posting, "e2e_msgs_per_s": e2e,
                "p50_ms": percentile(latencies, 0.5), "p99_ms": percentile(latencies, 0.99),
                "page_p99_ms": percentile(page_latencies, 0.99), "pages": len(page_latencies),
                "peak_rss_mb": peak[0] / 2**20, "server_cpu_ms_per_msg": cpu["server"],
                "worker_cpu_ms_per_msg": cpu["workers"], "redis_cpu_ms_per_msg": cpu["redis"],
                "bench_cpu_ms_per_msg": cpu["bench"]}
    finally:
        stop.set()
        platform.stop()
        loop.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=20_000)
    parser.add_argument("--rate", type=float, default=500.0)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--workers", default="1,2")
    parser.add_argument("--database-url", default=None,
                        help="an empty PostgreSQL database to use instead of SQLite (its tables are created)")
    args = parser.parse_args()
    figures: dict[str, float] = {}
    for workers in [int(w) for w in args.workers.split(",")]:
        result = run(workers, args.messages, args.rate, args.seconds, args.database_url)
        print(f"{workers} worker(s): accepted {result['accepted_per_s']:.0f}/s, end to end "
              f"{result['e2e_msgs_per_s']:.0f} msgs/s; at {args.rate:.0f}/s offered: ack p50 {result['p50_ms']:.0f} ms, "
              f"p99 {result['p99_ms']:.0f} ms, page p99 {result['page_p99_ms']:.0f} ms ({result['pages']:.0f} pages); "
              f"peak RSS {result['peak_rss_mb']:.0f} MB; CPU per message: server {result['server_cpu_ms_per_msg']:.2f} ms, "
              f"workers {result['worker_cpu_ms_per_msg']:.2f} ms, Redis {result['redis_cpu_ms_per_msg']:.2f} ms, "
              f"load generator and receivers {result['bench_cpu_ms_per_msg']:.2f} ms", flush=True)
        figures.update({f"{name}_w{workers}": value for name, value in result.items() if name != "pages"})
    print(" ".join(f"{name}={value:.0f}" if "cpu" not in name else f"{name}={value:.2f}"
                   for name, value in figures.items()))


if __name__ == "__main__":
    main()
