"""Web chat capacity and latency: sockets held, server memory per socket, message to acknowledgment on screen.

Runs the real pieces on loopback in their own processes: an embedded
redis-server, `frontdesk serve` (the measured process) and `frontdesk worker`
processes, with a SQLite store in a temporary data directory. Then:

1. opens `--sockets` WebSockets to /chat/ws (each says hello and gets its
   welcome) and reads the server's resident memory before and after;
2. sends one message a second on `--rate` of those sockets for `--seconds`
   (each from a conversation that has not written yet, so each opens a case
   and is acknowledged), timing from the send to the `ack` line arriving on the
   same socket, the moment the widget would show it.

    .venv/bin/python bench/webchat.py [--sockets 2000] [--rate 10] [--seconds 30] [--workers 2]

The last line holds the headline figures as name=value pairs.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp
import psutil
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from frontdesk.redis_server import EmbeddedRedis  # noqa: E402

OPEN_BATCH = 100
ACK_WAIT = 30.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def write_config(data_dir: Path, redis_url: str, port: int, sockets: int) -> Path:
    config = {
        "data_dir": str(data_dir), "redis_url": redis_url, "log_level": "WARNING",
        "http": {"host": "127.0.0.1", "port": port},
        "channels": {"webchat": {"max_sockets_per_ip": sockets + 100, "rate_limits": {
            "per_ip": "1000000/minute", "conversations_per_ip": "1000000/minute"}}},
    }
    path = data_dir / "bench.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def start(command: list[str], config: Path, log: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", "from frontdesk.cli import main; main()", *command,
                             "--config", str(config)], cwd=ROOT, stdout=log.open("wb"), stderr=subprocess.STDOUT)


async def wait_healthy(url: str, seconds: float = 60) -> None:
    async with aiohttp.ClientSession() as http:
        for _ in range(int(seconds * 4)):
            try:
                async with http.get(f"{url}/healthz") as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.25)
    raise RuntimeError("the server did not become healthy")


class Visitor:
    """One held socket; remembers when its message went out and when its acknowledgment came back."""

    def __init__(self, socket: aiohttp.ClientWebSocketResponse):
        self.socket = socket
        self.sent_at: float | None = None
        self.acked = asyncio.Event()
        self.latency: float | None = None

    async def read(self) -> None:
        async for message in self.socket:
            if message.type != aiohttp.WSMsgType.TEXT:
                break
            frame = json.loads(message.data)
            if frame.get("type") == "event" and frame["event"]["kind"] == "ack" and self.sent_at is not None:
                self.latency = time.perf_counter() - self.sent_at
                self.acked.set()


async def open_visitor(http: aiohttp.ClientSession, url: str) -> Visitor:
    socket = await http.ws_connect(f"{url}/chat/ws", headers={"Origin": url}, heartbeat=None)
    await socket.send_str(json.dumps({"type": "hello", "token": None}))
    welcome = json.loads((await socket.receive(timeout=30)).data)
    assert welcome["type"] == "welcome", welcome
    return Visitor(socket)


async def hold_sockets(http: aiohttp.ClientSession, url: str, count: int) -> list[Visitor]:
    visitors: list[Visitor] = []
    for start_index in range(0, count, OPEN_BATCH):
        batch = min(OPEN_BATCH, count - start_index)
        visitors += await asyncio.gather(*(open_visitor(http, url) for _ in range(batch)))
    return visitors


async def measure_latency(visitors: list[Visitor], rate: int, seconds: int) -> list[float | None]:
    chosen = visitors[: rate * seconds]
    began = time.perf_counter()
    for index, visitor in enumerate(chosen):
        await asyncio.sleep(max(0.0, began + index / rate - time.perf_counter()))
        visitor.sent_at = time.perf_counter()
        await visitor.socket.send_str(json.dumps({"type": "message", "client_id": f"b{index}",
                                                  "text": f"My order {index} arrived broken, please help"}))
    await asyncio.wait([asyncio.create_task(visitor.acked.wait()) for visitor in chosen], timeout=ACK_WAIT)
    return [visitor.latency for visitor in chosen]


def rss_mb(process: psutil.Process) -> float:
    return process.memory_info().rss / 2**20


async def run(args, url: str, server: psutil.Process) -> dict:
    await wait_healthy(url)
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as http:
        warm = await hold_sockets(http, url, 20)
        for visitor in warm:
            await visitor.socket.close()
        await asyncio.sleep(1.0)
        baseline = rss_mb(server)
        visitors = await hold_sockets(http, url, args.sockets)
        readers = [asyncio.create_task(visitor.read()) for visitor in visitors]
        await asyncio.sleep(2.0)
        held = rss_mb(server)
        latencies = await measure_latency(visitors, args.rate, args.seconds)
        after = rss_mb(server)
        await asyncio.gather(*(visitor.socket.close() for visitor in visitors), return_exceptions=True)
        await asyncio.gather(*readers, return_exceptions=True)
    done = sorted(value * 1000 for value in latencies if value is not None)
    return {"baseline": baseline, "held": held, "after": after, "done": done, "sent": len(latencies)}


def percentile(values: list[float], fraction: float) -> float:
    return values[min(len(values) - 1, int(round(fraction * (len(values) - 1))))] if values else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sockets", type=int, default=2000)
    parser.add_argument("--rate", type=int, default=10, help="messages per second")
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    if args.rate * args.seconds > args.sockets:
        parser.error("--rate x --seconds must not exceed --sockets (one message per conversation)")
    with tempfile.TemporaryDirectory(prefix="frontdesk-bench-") as tmp:
        data_dir = Path(tmp)
        redis_server = EmbeddedRedis(data_dir).start()
        port = free_port()
        config = write_config(data_dir, redis_server.url, port, args.sockets)
        processes = [start(["serve"], config, data_dir / "serve.log")]
        processes += [start(["worker", "--name", f"bench-{n}-{os.getpid()}"], config, data_dir / f"worker{n}.log")
                      for n in range(args.workers)]
        try:
            figures = asyncio.run(run(args, f"http://127.0.0.1:{port}", psutil.Process(processes[0].pid)))
        finally:
            for process in processes:
                process.terminate()
            for process in processes:
                try:
                    process.wait(15)
                except subprocess.TimeoutExpired:
                    process.kill()
            redis_server.stop()
    report(args, figures)


def report(args, figures: dict) -> None:
    done, held, baseline = figures["done"], figures["held"], figures["baseline"]
    per_socket_kib = (held - baseline) * 1024 / args.sockets
    print(f"server RSS: {baseline:.1f} MB before, {held:.1f} MB holding {args.sockets} sockets, "
          f"{figures['after']:.1f} MB after the latency run")
    print(f"acknowledgments on screen: {len(done)}/{figures['sent']} at {args.rate}/s; "
          f"mean {statistics.fmean(done) if done else float('nan'):.0f} ms, max {max(done, default=float('nan')):.0f} ms")
    print(f"sockets={args.sockets} server_rss_mb={held:.1f} kib_per_socket={per_socket_kib:.1f} "
          f"rate_per_s={args.rate} acks={len(done)}/{figures['sent']} "
          f"ack_p50_ms={percentile(done, 0.50):.0f} ack_p99_ms={percentile(done, 0.99):.0f}")


if __name__ == "__main__":
    main()
