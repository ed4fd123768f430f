"""Fixtures for process-level tests: a fake Bot API on loopback and bot processes that never outlive a test."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.fakeserver import FakeTelegramServer
from tests.process.botproc import BotProcess, write_config


def pytest_configure(config: pytest.Config) -> None:
    """Register the marker: `pytest -m process` runs only these, `-m "not process"` skips them."""
    config.addinivalue_line("markers", "process: starts the real bot as a child process (tests/process)")


@pytest.fixture
def server() -> Iterator[FakeTelegramServer]:
    """A fake Telegram on 127.0.0.1 with an OS-assigned port."""
    with FakeTelegramServer() as fake:
        yield fake


@pytest.fixture
def bots(tmp_path: Path, server: FakeTelegramServer) -> Iterator[Callable[..., BotProcess]]:
    """Make bot processes (same config and database unless told); every one is killed at teardown."""
    made: list[BotProcess] = []

    def make(config: Path | None = None, *, webhook_port: int = 0, **overrides: dict[str, Any]) -> BotProcess:
        path = config or write_config(tmp_path, server, **overrides)
        bot = BotProcess(path, server, tmp_path / f"bot{len(made)}.log", webhook_port=webhook_port)
        made.append(bot)
        return bot

    yield make
    for bot in made:
        bot.stop()


@pytest.fixture
def config(tmp_path: Path, server: FakeTelegramServer) -> Path:
    """The default polling config (database in tmp_path)."""
    return write_config(tmp_path, server)


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    """Where the bot's database lives."""
    return tmp_path / "courtyard.sqlite3"
