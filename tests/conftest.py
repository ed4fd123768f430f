"""Shared fixtures: a running bot over the fake Bot API."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.harness import Harness, make_config


@pytest.fixture
async def h(tmp_path: Path) -> AsyncIterator[Harness]:
    """A bot with an on-disk database, a fake Bot API and a fake clock."""
    async with Harness(make_config(tmp_path)) as harness:
        yield harness
