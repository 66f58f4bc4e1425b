"""A throw-away platform for `frontdesk demo`: the real `frontdesk run` in a temporary directory,
configured to acknowledge to and page the demo's own loopback receivers."""

from __future__ import annotations

import base64
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests
import yaml

from frontdesk.redis_server import free_port


ON_CALL = {"dana": "Dana Whitfield", "lee": "Lee Park"}  # the escalation chain, in order


def demo_config(receiver_url: str) -> dict:
    """Settings that send acknowledgments and pages to `receiver_url` (paths /ack and /page/<person>)."""
    host = receiver_url.removeprefix("http://")
    people = list(ON_CALL.items())
    return {
        "organisation": {"name": "Acme Appliances (demo)"},
        "channels": {"api": {"clients": [{"name": "default", "callback_url": f"{receiver_url}/ack"}]}},
        "oncall": {
            "people": [{"id": pid, "name": name, "contact": {"apprise": f"json://{host}/page/{pid}"},
                        "notify": [{"notify": "apprise"}]} for pid, name in people],
            "escalation": {"chain": [pid for pid, _ in people], "ack_timeout": "4s", "rounds": 1},
        },
        "workers": {"count": 2},
    }


class EmbeddedPlatform:
    """`frontdesk run` as a child process with its own data directory, ports and secrets."""

    def __init__(self, receiver_url: str):
        self.directory = Path(tempfile.mkdtemp(prefix="frontdesk-demo-"))
        self.port = free_port()
        self.token = secrets.token_urlsafe(24)
        self.webhook_secret = "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()
        self.config_path = self.directory / "demo.yaml"
        self.config_path.write_text(yaml.safe_dump(demo_config(receiver_url)))
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        """Where the embedded platform serves HTTP."""
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60.0) -> "EmbeddedPlatform":
        """Start it and wait until /healthz answers ok."""
        environ = dict(os.environ, FRONTDESK_API_TOKEN=self.token, FRONTDESK_WEBHOOK_SECRET=self.webhook_secret,
                       FRONTDESK_DATA_DIR=str(self.directory / "var"))
        for variable in ("FRONTDESK_REDIS_URL", "FRONTDESK_DATABASE_URL", "FRONTDESK_CONFIG"):
            environ.pop(variable, None)
        command = [sys.executable, "-m", "frontdesk", "run", "--config", str(self.config_path),
                   "--port", str(self.port), "--smtp-port", str(free_port())]
        log = open(self.directory / "platform.log", "wb")
        self.process = subprocess.Popen(command, env=environ, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the embedded platform exited; see {self.directory / 'platform.log'}")
            try:
                if requests.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return self
            except requests.RequestException:
                pass
            time.sleep(0.3)
        raise RuntimeError(f"the embedded platform did not become healthy; see {self.directory / 'platform.log'}")

    def stop(self, keep: bool = False) -> None:
        """Ctrl-C it, as a person would, and remove its directory unless `keep`."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if not keep:
            shutil.rmtree(self.directory, ignore_errors=True)
