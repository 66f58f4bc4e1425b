"""A real Dovecot IMAP server (Debian's dovecot-imapd) in a temporary directory, on a free loopback port.

Started in the foreground (`dovecot -F`) as a child of the test process with
its own config, a passwd-file of users and Maildir storage; `stop()` ends that
child only. Mail is put in with IMAP APPEND, as a delivery agent would.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from imapclient import IMAPClient

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"

CONFIG = """\
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
info_log_path = {root}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
default_login_user = dovenull
default_internal_user = dovecot
first_valid_uid = {uid}
mail_location = maildir:~/Maildir
mailbox_idle_check_interval = 1 secs
imap_idle_notify_interval = 1 secs
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={root}/home/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
service imap-login {{
  chroot =
}}
"""


def free_port() -> int:
    """A loopback port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Dovecot:
    """`with Dovecot(users={"desk": "pw"}) as imap:` then `imap.port`, `imap.client(user)`.

    Its directory is a fresh one under the system temp dir, not pytest's (whose
    parents are 0700, which Dovecot's unprivileged processes cannot traverse),
    and is removed by `stop()`.
    """

    def __init__(self, users: dict[str, str]):
        self.root = Path(tempfile.mkdtemp(prefix="frontdesk-dovecot-"))
        self.users = users
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    def _owner(self) -> tuple[int, int]:
        if os.getuid() != 0:
            return os.getuid(), os.getgid()
        nobody = pwd.getpwnam("nobody")
        return nobody.pw_uid, nobody.pw_gid

    def start(self) -> "Dovecot":
        """Write the config, start Dovecot and wait (bounded) until it answers."""
        uid, gid = self._owner()
        for folder in ("run", "state", "home"):
            (self.root / folder).mkdir(parents=True, exist_ok=True)
        for user in self.users:
            (self.root / "home" / user).mkdir(exist_ok=True)
            if os.getuid() == 0:
                os.chown(self.root / "home" / user, uid, gid)
        self.root.chmod(0o755)
        (self.root / "passwd").write_text("".join(f"{user}:{{PLAIN}}{pw}\n" for user, pw in self.users.items()))
        config = self.root / "dovecot.conf"
        config.write_text(CONFIG.format(root=self.root, uid=uid, gid=gid, port=self.port))
        self.process = subprocess.Popen([DOVECOT, "-F", "-c", str(config)], stdout=subprocess.DEVNULL,
                                        stderr=subprocess.PIPE)
        self._wait_ready()
        return self

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"dovecot exited: {self.process.stderr.read().decode()} {self.log()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as probe:
                    if probe.recv(64).startswith(b"* OK"):
                        return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"dovecot did not answer on port {self.port}: {self.log()}")

    def log(self) -> str:
        path = self.root / "dovecot.log"
        return path.read_text(errors="replace")[-4000:] if path.exists() else ""

    def stop(self) -> None:
        """Stop our Dovecot child (SIGTERM, then SIGKILL after 10 s)."""
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> "Dovecot":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def client(self, user: str, port: int | None = None) -> IMAPClient:
        """A logged-in IMAPClient for `user` (plain IMAP on loopback)."""
        client = IMAPClient("127.0.0.1", port=port or self.port, ssl=False, timeout=10)
        client.login(user, self.users[user])
        return client

    def deliver(self, user: str, raw: bytes, folder: str = "INBOX", flags: tuple[bytes, ...] = ()) -> int:
        """Put one message in `folder` of `user`, as a delivery agent would; returns its UID."""
        with self.client(user) as client:
            if not client.folder_exists(folder):
                client.create_folder(folder)
            answer = client.append(folder, raw, flags=flags)
        uid = answer.split(b"]")[0].split()[-1] if b"APPENDUID" in answer else b"0"
        return int(uid)
