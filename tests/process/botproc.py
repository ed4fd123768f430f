"""Run the real `courtyard-bot run` as a child process against tests/fakeserver.py."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

from tests.builders import TgUser
from tests.fakes import TEST_TOKEN
from tests.fakeserver import FakeTelegramServer

ROOT = Path(__file__).resolve().parents[2]
# Many social workers, so no single person trips the command-flood throttle during a stream.
SOCIAL_WORKERS = [TgUser(900001 + i, f"社工{i:02d}号") for i in range(40)]
START_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 30.0


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


WEBHOOK_URL = "https://example.invalid/hook"
WEBHOOK_SECRET = "courtyard_Secret-42"


def write_config(folder: Path, server: FakeTelegramServer, **overrides: dict[str, Any]) -> Path:
    """A config.toml for a bot that talks only to the fake server, with its database in folder."""
    sections: dict[str, dict[str, Any]] = {
        "telegram": {
            "token": TEST_TOKEN,
            "api_base_url": server.base_url,
            "mode": "polling",
            "concurrent_updates": 32,
            # PTB's AIORateLimiter only paces replies; the outbox paces itself. Off, so streams run fast.
            "rate_limiter": False,
        },
        "community": {"name": "铁门社区", "timezone": "Asia/Shanghai", "default_locale": "zh_CN"},
        "roles": {"social_workers": [u.id for u in SOCIAL_WORKERS]},
        "database": {"path": str(folder / "courtyard.sqlite3")},
    }
    for name, values in overrides.items():
        sections.setdefault(name, {}).update(values)
    lines = []
    for name, values in sections.items():
        lines.append(f"[{name}]")
        lines.extend(f"{key} = {_toml_value(value)}" for key, value in values.items())
        lines.append("")
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "config.toml"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def write_webhook_config(folder: Path, server: FakeTelegramServer, port: int) -> Path:
    """The same config in webhook mode: Telegram posts to WEBHOOK_URL, served on this local port."""
    webhook = {"url": WEBHOOK_URL, "listen": "127.0.0.1", "port": port, "secret_token": WEBHOOK_SECRET}
    return write_config(folder, server, telegram={"mode": "webhook"}, webhook=webhook)


def child_env() -> dict[str, str]:
    """The environment of a child process: no proxies (nothing but loopback), no stray token."""
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower() and k != "BOT_TOKEN"}
    env["PYTHONUNBUFFERED"] = "1"
    env["PYTHONPATH"] = str(ROOT)
    return env


def free_port() -> int:
    """A loopback port that was free a moment ago."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def cli(config: Path, *args: str, timeout: float = 60.0) -> subprocess.CompletedProcess[str]:
    """Run `courtyard-bot <args> --config config` to completion."""
    command, *rest = args
    return subprocess.run(
        [sys.executable, "-m", "bot", command, "--config", str(config), *rest],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=child_env(),
        cwd=config.parent,
        check=False,
    )


class BotProcess:
    """One `python -m bot run` child; always killed by the fixture that made it."""

    def __init__(self, config: Path, server: FakeTelegramServer, log: Path, *, webhook_port: int = 0) -> None:
        self.config = config
        self.server = server
        self.log = log
        self.webhook_port = webhook_port
        self.proc: subprocess.Popen[bytes] | None = None
        self._log_fh: IO[bytes] | None = None
        self.starts = 0

    @property
    def running(self) -> bool:
        """True while the child is alive."""
        return self.proc is not None and self.proc.poll() is None

    def start(self, *, wait: bool = True) -> BotProcess:
        """Start the bot; with wait, return once it polls (or has set its webhook and listens)."""
        assert not self.running, "already running"
        mark = len(self.server.calls)
        self._log_fh = self.log.open("ab")
        self._log_fh.write(f"\n----- start {self.starts} -----\n".encode())
        self._log_fh.flush()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bot", "run", "--config", str(self.config)],
            stdout=self._log_fh,
            stderr=subprocess.STDOUT,
            env=child_env(),
            cwd=self.config.parent,
        )
        self.starts += 1
        if wait:
            self.wait_ready(mark)
        return self

    def wait_ready(self, mark: int, timeout: float = START_TIMEOUT_S) -> None:
        """Wait until the bot asks for updates (polling) or registered its webhook and listens."""
        deadline = time.monotonic() + timeout
        while True:
            if not self.running:
                raise AssertionError(f"the bot exited during start-up:\n{self.log_text()}")
            calls = self.server.calls_since(mark)
            if self.webhook_port:
                if any(c.method == "setWebhook" for c in calls) and _listening(self.webhook_port):
                    return
            elif any(c.method == "getUpdates" for c in calls):
                return
            if time.monotonic() > deadline:
                raise AssertionError(f"the bot was not ready after {timeout:.0f} s:\n{self.log_text()}")
            time.sleep(0.02)

    def kill(self) -> None:
        """SIGKILL: no clean-up of any kind, like a power cut for the process."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=STOP_TIMEOUT_S)
        self._close_log()

    def terminate(self, timeout: float = STOP_TIMEOUT_S) -> int:
        """SIGTERM and wait for a graceful exit; return the exit status."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGTERM)
        status = self.proc.wait(timeout=timeout)
        self._close_log()
        return status

    def stop(self) -> None:
        """Fixture teardown: kill the child if it is still alive."""
        if self.running and self.proc is not None:
            self.proc.kill()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(timeout=STOP_TIMEOUT_S)
        self._close_log()

    def _close_log(self) -> None:
        if self._log_fh is not None:
            self._log_fh.close()
            self._log_fh = None

    def log_text(self) -> str:
        """Everything the bot printed, across its restarts."""
        return self.log.read_text(encoding="utf-8", errors="replace") if self.log.exists() else ""


def start_webhook_bot(
    bots: Callable[..., BotProcess], folder: Path, server: FakeTelegramServer
) -> tuple[BotProcess, int]:
    """A bot in webhook mode on a free local port, started; and that port (to post updates to)."""
    port = free_port()
    return bots(write_webhook_config(folder, server, port), webhook_port=port).start(), port


def _listening(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.2)
        return sock.connect_ex(("127.0.0.1", port)) == 0


@contextlib.contextmanager
def database(path: Path) -> Iterator[sqlite3.Connection]:
    """A plain sqlite3 connection to the bot's database (the bot may be running or dead)."""
    conn = sqlite3.connect(str(path), timeout=10)
    try:
        conn.execute("PRAGMA busy_timeout=10000")
        yield conn
    finally:
        conn.close()


def integrity(conn: sqlite3.Connection) -> str:
    """PRAGMA integrity_check, joined ("ok" when healthy)."""
    return "; ".join(str(r[0]) for r in conn.execute("PRAGMA integrity_check"))


def wait_until(predicate: Any, timeout: float, what: str, *, interval: float = 0.05) -> None:
    """Poll predicate() until true; fail with what after timeout seconds."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)


def post_update(port: int, update: dict[str, Any], secret: str | None, path: str = "/hook") -> int:
    """POST an update to the bot's webhook as Telegram would; return the HTTP status."""
    headers = {"Content-Type": "application/json"}
    if secret is not None:
        headers["X-Telegram-Bot-Api-Secret-Token"] = secret
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}", data=json.dumps(update).encode(), headers=headers, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return exc.code
