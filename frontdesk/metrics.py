"""Metrics shared by every process through Redis, exposed in Prometheus text by prometheus_client.

Servers and workers may run on several machines, so counters are summed in
Redis (HINCRBY, batched per process) and `/metrics` reads them back through a
prometheus_client collector; queue depths are read live.
"""

from __future__ import annotations

import bisect
import logging
import threading
import time
from collections import defaultdict

import redis
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily
from prometheus_client.registry import CollectorRegistry

from frontdesk.queue import KEY_PREFIX, queue_depths

log = logging.getLogger(__name__)
COUNTERS_KEY = f"{KEY_PREFIX}:metrics:counters"
HISTOGRAM_KEY = f"{KEY_PREFIX}:metrics:histogram:"
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
DESCRIPTIONS = {
    "messages_in": "Inbound payloads by channel and result (accepted, duplicate, quarantined, ignored)",
    "messages_first": "Inbound payloads queued ahead of the intake backlog, by channel and the paging rule naming them",
    "routed": "Messages routed into cases, by channel and urgency",
    "deliveries": "Outbound deliveries by sender, kind and result",
    "pages": "Pages by sender and result",
    "routing_seconds": "Time from intake to routed, seconds",
    "page_latency_seconds": "Time from intake to page delivered, seconds",
    "clock_breaches": "Response-time clocks that ran past their target, by clock and urgency",
}


def _field(name: str, labels: dict[str, str]) -> str:
    return name + "|" + ",".join(f"{key}={labels[key]}" for key in sorted(labels))


def _unfield(field: str) -> tuple[str, dict[str, str]]:
    name, _, rest = field.partition("|")
    return name, dict(part.split("=", 1) for part in rest.split(",") if part)


class Metrics:
    """Counters and histograms buffered in-process and flushed to Redis at most once a second."""

    def __init__(self, connection: redis.Redis | None, flush_every: float = 1.0):
        self.redis = connection
        self.flush_every = flush_every
        self._counts: dict[str, float] = defaultdict(float)
        self._buckets: dict[str, float] = defaultdict(float)
        self._lock = threading.Lock()
        self._last_flush = time.monotonic()

    def count(self, name: str, amount: float = 1, **labels: str) -> None:
        """Add to the counter `name` with these labels."""
        with self._lock:
            self._counts[_field(name, labels)] += amount
        self._maybe_flush()

    def observe(self, name: str, seconds: float, **labels: str) -> None:
        """Record one observation in the histogram `name`."""
        index = bisect.bisect_left(BUCKETS, seconds)
        le = str(BUCKETS[index]) if index < len(BUCKETS) else "+Inf"
        base = _field(name, labels)
        with self._lock:
            self._buckets[base + "|le=" + le] += 1
            self._buckets[base + "|sum"] += seconds
        self._maybe_flush()

    def _maybe_flush(self) -> None:
        if time.monotonic() - self._last_flush >= self.flush_every:
            self.flush()

    def flush(self) -> None:
        """Push what was counted to Redis; keeps it for the next try when Redis is down."""
        with self._lock:
            counts, self._counts = self._counts, defaultdict(float)
            buckets, self._buckets = self._buckets, defaultdict(float)
            self._last_flush = time.monotonic()
        if self.redis is None or not (counts or buckets):
            return
        try:
            pipe = self.redis.pipeline(transaction=False)
            for field, amount in counts.items():
                pipe.hincrbyfloat(COUNTERS_KEY, field, amount)
            for field, amount in buckets.items():
                pipe.hincrbyfloat(HISTOGRAM_KEY + field.partition("|")[0], field, amount)
            pipe.execute()
        except redis.RedisError as error:
            log.warning("metrics not flushed (%s); kept for the next flush", type(error).__name__)
            with self._lock:
                for field, amount in counts.items():
                    self._counts[field] += amount
                for field, amount in buckets.items():
                    self._buckets[field] += amount


class RedisCollector:
    """A prometheus_client collector reading the shared counters back from Redis."""

    def __init__(self, connection: redis.Redis):
        self.redis = connection

    def collect(self):
        counters: dict[str, CounterMetricFamily] = {}
        for field, value in self.redis.hgetall(COUNTERS_KEY).items():
            name, labels = _unfield(field.decode())
            family = counters.get(name)
            if family is None:
                family = counters[name] = CounterMetricFamily(
                    f"frontdesk_{name}", DESCRIPTIONS.get(name, name), labels=sorted(labels))
            family.add_metric([labels[key] for key in sorted(labels)], float(value))
        yield from counters.values()
        yield from self._histograms()
        depth = GaugeMetricFamily("frontdesk_queue_depth", "Jobs or ids waiting per queue", labels=["queue"])
        for queue, count in queue_depths(self.redis).items():
            depth.add_metric([queue], count)
        yield depth

    def _histograms(self):
        for key in self.redis.scan_iter(match=HISTOGRAM_KEY + "*"):
            name = key.decode().removeprefix(HISTOGRAM_KEY)
            series: dict[str, dict[str, float]] = defaultdict(dict)
            for field, value in self.redis.hgetall(key).items():
                base, _, tail = field.decode().rpartition("|")
                series[base][tail] = float(value)
            family = None
            for base, values in series.items():
                _, labels = _unfield(base)
                if family is None:
                    family = HistogramMetricFamily(f"frontdesk_{name}", DESCRIPTIONS.get(name, name), labels=sorted(labels))
                cumulative, buckets = 0.0, []
                for bound in [*map(str, BUCKETS), "+Inf"]:
                    cumulative += values.get(f"le={bound}", 0.0)
                    buckets.append((bound, cumulative))
                family.add_metric([labels[k] for k in sorted(labels)], buckets, values.get("sum", 0.0))
            if family is not None:
                yield family


class ChannelsCollector:
    """`frontdesk_channel_up`: 1 while a channel's transport runs in this server process, 0 once it stopped or
    while it keeps failing."""

    def __init__(self, states: dict[str, str]):
        self.states = states

    def collect(self):
        up = GaugeMetricFamily("frontdesk_channel_up", "Whether the channel's transport runs in this server process",
                               labels=["channel"])
        for channel, state in sorted(self.states.items()):
            up.add_metric([channel], 1.0 if state == "running" else 0.0)
        yield up


def registry_for(connection: redis.Redis, channels: dict[str, str] | None = None) -> CollectorRegistry:
    """A registry of the shared Redis-backed metrics and, given a server's channel states, their gauge."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(RedisCollector(connection))
    if channels is not None:
        registry.register(ChannelsCollector(channels))
    return registry
