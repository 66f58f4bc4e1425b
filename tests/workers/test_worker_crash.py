"""A worker process killed with SIGKILL mid-job: nothing is lost and no acknowledgment is sent twice."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest
import yaml
from sqlalchemy import func, select

from frontdesk.store.tables import Case, Delivery
from tests.harness import API_TOKEN, WEBHOOK_SECRET
from workers.delivery import CHUNK

MESSAGES = 400


def worker_process(config_path, tmp_path) -> subprocess.Popen:
    environ = dict(os.environ, FRONTDESK_API_TOKEN=API_TOKEN, FRONTDESK_WEBHOOK_SECRET=WEBHOOK_SECRET)
    log = open(tmp_path / "worker.log", "ab")
    return subprocess.Popen([sys.executable, "-m", "frontdesk", "worker", "--config", str(config_path)],
                            env=environ, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)


def counts(platform) -> tuple[int, int]:
    with platform.services.sessions() as session:
        return (session.scalar(select(func.count(Case.id))),
                session.scalar(select(func.count(Delivery.id)).where(Delivery.status == "sent")))


@pytest.mark.slow
def test_sigkill_mid_batch_loses_nothing_and_sends_nothing_twice(make_platform, receiver, tmp_path):
    overrides = {"channels": {"api": {"clients": [{"name": "default", "callback_url": f"{receiver.url}/ack"}]}},
                 "workers": {"batch_size": 50, "sweep_interval": "1s", "stuck_after": "2s"}}
    platform = make_platform(**overrides)
    receiver.delay = 0.02  # acknowledgments take a while, so a kill lands mid-routing or mid-sending
    settings = platform.settings
    config_path = tmp_path / "worker.yaml"
    config_path.write_text(yaml.safe_dump({
        "redis_url": settings.redis_url, "database_url": settings.database_url, "data_dir": str(settings.data_dir),
        **overrides}))
    for index in range(MESSAGES):
        body = {"external_id": f"k-{index}", "sender": {"handle": f"person-{index}"},
                "text": f"My order {index} arrived broken."}
        assert platform.post_message(body).status_code == 202

    victim = worker_process(config_path, tmp_path)
    deadline = time.monotonic() + 60
    while counts(platform)[0] < 60 and time.monotonic() < deadline:
        time.sleep(0.02)
    os.killpg(victim.pid, signal.SIGKILL)  # the worker and its scheduler process, as a crash would
    victim.wait(10)
    cases_at_kill, sent_at_kill = counts(platform)
    assert cases_at_kill < MESSAGES or sent_at_kill < MESSAGES, "the kill must land mid-run to mean anything"

    survivor = worker_process(config_path, tmp_path)
    try:
        deadline = time.monotonic() + 90
        while counts(platform) != (MESSAGES, MESSAGES) and time.monotonic() < deadline:
            time.sleep(0.2)
    finally:
        survivor.terminate()
        survivor.wait(20)
    assert counts(platform) == (MESSAGES, MESSAGES)
    webhook_ids = [item.headers["webhook-id"] for item in receiver.on("/ack")]
    assert len(set(webhook_ids)) == MESSAGES
    # Only the chunk in flight at the kill may be repeated, under the same webhook-id (Standard Webhooks
    # receivers dedupe on it); senders whose providers do not dedupe mark such deliveries 'unknown' instead.
    assert len(webhook_ids) - MESSAGES <= CHUNK
    bodies = {json.loads(item.body)["data"]["external_id"] for item in receiver.on("/ack")}
    assert bodies == {f"default:k-{index}" for index in range(MESSAGES)}
