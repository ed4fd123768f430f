"""Shared fixtures: a running bot over the fake Bot API."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from tests.harness import Harness, make_config


@pytest.fixture
async def h(tmp_path: Path) -> AsyncIterator[Harness]:
    """A bot with an on-disk database, a fake Bot API and a fake clock."""
    async with Harness(make_config(tmp_path)) as harness:
        yield harness


@pytest.fixture
def no_errors(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """No update may end in the error handler (an exception): `pytestmark = pytest.mark.usefixtures("no_errors")`."""
    caplog.set_level(logging.ERROR)
    yield
    assert not [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
