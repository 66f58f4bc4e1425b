"""The command line as a person uses it: `frontdesk run` end to end, `cases --json`, clean shutdown."""

from __future__ import annotations

import email
import email.policy
import json
import os
import signal
import smtplib
import subprocess
import sys
import time
from email.message import EmailMessage

import requests

from frontdesk.redis_server import redis_working_in, free_port

ENV_KEYS = ("FRONTDESK_REDIS_URL", "FRONTDESK_DATABASE_URL", "FRONTDESK_CONFIG", "FRONTDESK_API_TOKEN")


def clean_environ(tmp_path) -> dict:
    environ = {k: v for k, v in os.environ.items() if k not in ENV_KEYS}
    environ["FRONTDESK_DATA_DIR"] = str(tmp_path / "var")
    return environ


def redis_pid(tmp_path) -> int | None:
    """The pid of the embedded redis-server working in the run's data directory, if one is (its title hides the
    path, so found by the pid file it keeps there and removes when it stops cleanly)."""
    pidfile = tmp_path / "var" / "redis" / "redis.pid"
    try:
        pid = int(pidfile.read_text())
    except (OSError, ValueError):  # none, or being written
        return None
    return pid if redis_working_in(pid, pidfile.parent) else None


def redis_left_in(tmp_path) -> bool:
    """Whether an embedded redis-server still works in the run's data directory."""
    return redis_pid(tmp_path) is not None


def wait_healthy(url: str, process: subprocess.Popen, timeout: float = 60) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, "frontdesk run exited early"
        try:
            response = requests.get(f"{url}/healthz", timeout=1)
            if response.status_code == 200:
                return response.json()
        except requests.RequestException:
            pass
        time.sleep(0.3)
    raise AssertionError("frontdesk run never became healthy")


def run_command(*options: str, port: int | None = None, smtp_port: int | None = None) -> list[str]:
    """`frontdesk run` on loopback ports of its own (HTTP on `port`, SMTP on `smtp_port`, when given)."""
    return [sys.executable, "-m", "frontdesk", "run", "--port", str(port or free_port()),
            "--smtp-port", str(smtp_port or free_port()), *options]


def start_run(tmp_path, environ, smtp_port: int | None = None) -> tuple[subprocess.Popen, str]:
    """A `frontdesk run` in `tmp_path`, healthy, and its URL."""
    port = free_port()
    process = subprocess.Popen(run_command(port=port, smtp_port=smtp_port), env=environ, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, cwd=tmp_path)
    url = f"http://127.0.0.1:{port}"
    wait_healthy(url, process)
    return process, url


def stop_run(process: subprocess.Popen) -> str:
    """Ctrl-C a run and wait for it to end; what it printed."""
    process.send_signal(signal.SIGINT)
    return process.communicate(timeout=60)[0].decode()


def api_headers(tmp_path) -> dict[str, str]:
    """The bearer token the run saved in its data directory."""
    return {"Authorization": f"Bearer {(tmp_path / 'var' / 'api-token').read_text().strip()}"}


def wait_for_cases(url: str, headers: dict, count: int, timeout: float = 60) -> list[dict]:
    """The cases, once there are `count` of them or `timeout` passed."""
    deadline = time.monotonic() + timeout
    cases: list[dict] = []
    while len(cases) < count and time.monotonic() < deadline:
        cases = requests.get(f"{url}/api/cases", headers=headers, timeout=10).json()["cases"]
        time.sleep(0.3)
    return cases


def test_run_on_embedded_defaults_takes_a_message_to_a_case_and_stops_cleanly(tmp_path):
    environ = clean_environ(tmp_path)
    process, url = start_run(tmp_path, environ)
    try:
        health = wait_healthy(url, process)
        assert health["redis"] == "ok" and health["database"] == "ok"
        assert oct((tmp_path / "var" / "api-token").stat().st_mode & 0o777) == "0o600"
        headers = api_headers(tmp_path)
        body = {"external_id": "cli-1", "sender": {"handle": "zoe"}, "text": "The parcel arrived late and the box was damaged."}
        assert requests.post(f"{url}/api/messages", json=body, headers=headers, timeout=10).status_code == 202
        cases = wait_for_cases(url, headers, 1)
        assert [(c["urgency"], c["message_count"]) for c in cases] == [("normal", 1)]
        metrics = requests.get(f"{url}/metrics", timeout=10).text
        assert "frontdesk_queue_depth" in metrics
    finally:
        output = stop_run(process)
    assert process.returncode == 0, output
    assert f"API token (saved in" in output
    assert (tmp_path / "var" / "redis" / "appendonlydir").exists() or (tmp_path / "var" / "redis" / "appendonly.aof").exists()
    assert not redis_left_in(tmp_path), "the embedded redis-server outlived frontdesk run"

    listed = subprocess.run([sys.executable, "-m", "frontdesk", "cases", "--json"], env=environ, cwd=tmp_path,
                            capture_output=True, text=True, timeout=60)
    rows = [json.loads(line) for line in listed.stdout.splitlines()]
    assert [(r["status"], r["urgency"], r["channel"], r["message_count"]) for r in rows] == [("open", "normal", "api", 1)]
    assert set(rows[0]) == {"id", "status", "urgency", "categories", "channel", "contact", "message_count"}


def test_run_again_on_the_same_data_takes_the_saved_token(tmp_path):
    """The second start finds the token the first one saved: the API takes it, and it is not shown again."""
    environ = clean_environ(tmp_path)
    outputs = []
    for attempt in ("first", "second"):
        process, url = start_run(tmp_path, environ)
        try:
            headers = api_headers(tmp_path)
            body = {"external_id": f"again-{attempt}", "sender": {"handle": "zoe"}, "text": "Still no refund."}
            assert requests.post(f"{url}/api/messages", json=body, headers=headers, timeout=10).status_code == 202
            assert requests.post(f"{url}/api/messages", json=body, timeout=10).status_code == 401
        finally:
            outputs.append(stop_run(process))
        assert process.returncode == 0, outputs[-1]
    assert "API token (saved in" in outputs[0] and "API token" not in outputs[1]


def test_mail_to_a_run_without_a_relay_is_acknowledged_into_its_outbox(tmp_path):
    """On embedded defaults nothing relays mail: the acknowledgment of a mail sent to the run's SMTP listener
    is kept in var/outbox (a Maildir) and the run says so; with a relay configured, it would be sent."""
    environ = clean_environ(tmp_path)
    smtp_port = free_port()
    process, url = start_run(tmp_path, environ, smtp_port=smtp_port)
    outbox = tmp_path / "var" / "outbox" / "new"
    try:
        mail = EmailMessage()
        mail["From"], mail["To"], mail["Subject"] = "Ann <ann@customer.example>", "help@localhost", "Order 1234"
        mail["Message-ID"] = "<order-1234@customer.example>"
        mail.set_content("My parcel arrived late and the box was damaged.")
        with smtplib.SMTP("127.0.0.1", smtp_port, timeout=10) as client:
            client.send_message(mail)
        deadline = time.monotonic() + 60
        while not (outbox.exists() and any(outbox.iterdir())) and time.monotonic() < deadline:
            time.sleep(0.3)
        [kept] = outbox.iterdir()
        ack = email.message_from_bytes(kept.read_bytes(), policy=email.policy.default)
        assert ack["To"] == "ann@customer.example" and ack["In-Reply-To"] == "<order-1234@customer.example>"
        assert ack["Subject"].startswith("Re: Order 1234") and ack["Auto-Submitted"] == "auto-replied"
    finally:
        output = stop_run(process)
    assert process.returncode == 0, output
    assert f"outgoing mail is kept in {tmp_path / 'var' / 'outbox'}" in output


def test_run_on_a_port_already_taken_says_so_and_leaves_nothing_running(tmp_path):
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run(run_command(port=port), env=clean_environ(tmp_path), capture_output=True, text=True,
                              cwd=tmp_path, timeout=120)
    assert done.returncode == 1, done.stderr
    assert f"('127.0.0.1', {port}): address already in use: is another Frontdesk running?" in done.stderr
    assert "Traceback" not in done.stderr
    assert not redis_left_in(tmp_path), "the embedded redis-server outlived the failed start"


def pids_of(pattern: str) -> set[int]:
    found = subprocess.run(["pgrep", "-f", pattern], capture_output=True, text=True).stdout.split()
    return {int(pid) for pid in found}


def test_one_run_per_data_dir_and_a_run_killed_outright_leaves_nothing_working(tmp_path):
    """A second run on the same data is refused; when the first is SIGKILLed its workers stop by themselves,
    and the next run stops the Redis it left before starting its own, keeping what was queued."""
    environ = clean_environ(tmp_path)
    first, url = start_run(tmp_path, environ)
    try:
        second = subprocess.run(run_command(), env=environ, capture_output=True, text=True, cwd=tmp_path, timeout=60)
        assert second.returncode == 1
        assert f"another `frontdesk run` (pid {first.pid}) is using {tmp_path / 'var'}" in second.stderr
        headers = api_headers(tmp_path)
        body = {"external_id": "kept-1", "sender": {"handle": "zoe"}, "text": "My order never came."}
        assert requests.post(f"{url}/api/messages", json=body, headers=headers, timeout=10).status_code == 202
        workers = pids_of(f"frontdesk worker --name worker-{first.pid}-")
        assert len(workers) >= 2
        left_redis = int((tmp_path / "var" / "redis" / "redis.pid").read_text())
    finally:
        first.kill()
        first.communicate(timeout=30)
    deadline = time.monotonic() + 30
    while pids_of(f"frontdesk worker --name worker-{first.pid}-") and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not pids_of(f"frontdesk worker --name worker-{first.pid}-"), "the workers outlived their run"
    assert redis_working_in(left_redis, tmp_path / "var" / "redis")  # Redis cannot notice: the next run must

    third, url = start_run(tmp_path, environ)
    try:
        assert not redis_working_in(left_redis, tmp_path / "var" / "redis")
        assert [case["message_count"] for case in wait_for_cases(url, headers, 1, timeout=30)] == [1]
    finally:
        output = stop_run(third)
    assert third.returncode == 0, output
    assert f"a redis-server (pid {left_redis}) left by a run that did not stop" in output


def test_an_embedded_redis_that_dies_is_started_again_and_the_pipeline_goes_on(tmp_path):
    environ = clean_environ(tmp_path)
    process, url = start_run(tmp_path, environ)
    try:
        headers = api_headers(tmp_path)
        first = {"external_id": "before", "sender": {"handle": "zoe"}, "text": "My order never came."}
        assert requests.post(f"{url}/api/messages", json=first, headers=headers, timeout=10).status_code == 202
        killed = redis_pid(tmp_path)
        os.kill(killed, signal.SIGKILL)
        deadline = time.monotonic() + 30
        while redis_pid(tmp_path) in (None, killed):
            assert time.monotonic() < deadline, "the embedded redis-server was not started again"
            time.sleep(0.2)
        wait_healthy(url, process)
        second = {"external_id": "after", "sender": {"handle": "ann"}, "text": "The heater exploded, my son is hurt."}
        assert requests.post(f"{url}/api/messages", json=second, headers=headers, timeout=10).status_code == 202
        assert sorted(case["urgency"] for case in wait_for_cases(url, headers, 2)) == ["critical", "normal"]
    finally:
        output = stop_run(process)
    assert process.returncode == 0, output
    assert "the embedded redis-server exited with -9; starting it again" in output
    assert not redis_left_in(tmp_path)


def test_redis_out_of_reach_is_one_line_without_its_password(tmp_path):
    environ = dict(clean_environ(tmp_path), FRONTDESK_REDIS_URL=f"redis://:s3cretpw@127.0.0.1:{free_port()}/0")
    for command in (["worker", "--burst"], ["serve", "--port", str(free_port()), "--smtp-port", str(free_port())]):
        done = subprocess.run([sys.executable, "-m", "frontdesk", *command], env=environ, capture_output=True,
                              text=True, cwd=tmp_path, timeout=60)
        assert done.returncode == 1, done.stderr
        assert "Error: cannot reach Redis at redis://:***@127.0.0.1:" in done.stderr
        assert "Traceback" not in done.stderr and "s3cretpw" not in done.stderr


def test_a_database_out_of_reach_is_one_line_and_the_embedded_redis_is_stopped(tmp_path):
    config = tmp_path / "frontdesk.yaml"
    config.write_text(f"database_url: postgresql://nobody:s3cretpw@127.0.0.1:{free_port()}/nodb\n")
    done = subprocess.run(run_command("--config", str(config)), env=clean_environ(tmp_path), capture_output=True,
                          text=True, cwd=tmp_path, timeout=60)
    assert done.returncode == 1, done.stderr
    assert "Error: cannot use the database postgresql://nobody:***@127.0.0.1:" in done.stderr
    assert "Traceback" not in done.stderr and "s3cretpw" not in done.stderr
    assert not redis_left_in(tmp_path)


def test_a_configured_redis_that_may_evict_is_refused(tmp_path, redis_url):
    import redis as redis_client

    connection = redis_client.Redis.from_url(redis_url)
    connection.config_set("maxmemory-policy", "allkeys-lru")
    try:
        environ = clean_environ(tmp_path) | {"FRONTDESK_REDIS_URL": redis_url}
        result = subprocess.run([sys.executable, "-m", "frontdesk", "worker", "--burst"], env=environ,
                                capture_output=True, text=True, timeout=60, cwd=tmp_path)
    finally:
        connection.config_set("maxmemory-policy", "noeviction")
    assert result.returncode != 0
    assert "maxmemory-policy is 'allkeys-lru'; Frontdesk needs 'noeviction'" in result.stderr
