"""The update journal's parts: getUpdates stores a batch before PTB sees it; bodies are sealed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.journal import Sealer, UpdateJournal
from bot.polling import JournalingGetUpdates
from storage.db import Database
from tests.fakes import TEST_TOKEN, FakeBotAPI


class _Batch(FakeBotAPI):
    """Answers getUpdates with a fixed batch, and records whether the journal held it by then."""

    def __init__(self, batch: list[dict[str, object]]) -> None:
        super().__init__()
        self.batch = batch

    async def do_request(self, url: str, method: str, *args: object, **kwargs: object) -> tuple[int, bytes]:
        return 200, json.dumps({"ok": True, "result": self.batch}).encode()


async def _db(tmp_path: Path) -> Database:
    db = Database(tmp_path / "j.sqlite3")
    await db.open()
    await db.migrate()
    return db


async def test_a_fetched_batch_is_stored_before_it_is_returned(tmp_path: Path) -> None:
    db = await _db(tmp_path)
    batch = [{"update_id": 41, "message": {"text": "李阿姨"}}, {"update_id": 42}]
    polling = JournalingGetUpdates(_Batch(batch))
    polling.journal = UpdateJournal(db, TEST_TOKEN)
    status, payload = await polling.do_request("https://x/bot1:t/getUpdates", "POST")
    assert status == 200 and json.loads(payload)["result"] == batch  # passed on unchanged
    rows = await db.fetchall("SELECT update_id, body, done_at FROM update_journal ORDER BY update_id")
    assert [(r[0], r[2]) for r in rows] == [(41, None), (42, None)]
    assert "李阿姨".encode() not in rows[0][1]  # sealed: the file does not say who sent what
    await db.close()


async def test_a_batch_that_cannot_be_stored_is_not_passed_on(tmp_path: Path) -> None:
    db = await _db(tmp_path)
    polling = JournalingGetUpdates(_Batch([{"update_id": 7}]))
    polling.journal = UpdateJournal(db, TEST_TOKEN)
    await db.writer.execute("DROP TABLE update_journal")  # any failure to store, like a full disk
    with pytest.raises(Exception, match="update_journal"):
        await polling.do_request("https://x/bot1:t/getUpdates", "POST")
    await db.close()


def test_a_sealed_body_opens_only_under_the_same_token() -> None:
    sealed = Sealer(TEST_TOKEN).seal(b'{"update_id": 1}')
    assert Sealer(TEST_TOKEN).open(sealed) == b'{"update_id": 1}'
    assert Sealer("999:other").open(sealed) is None
    assert Sealer(TEST_TOKEN).open(sealed[:-1] + bytes([sealed[-1] ^ 1])) is None
    assert Sealer(TEST_TOKEN).seal(b"x") != Sealer(TEST_TOKEN).seal(b"x")  # a fresh nonce each time


async def test_done_rows_older_than_a_day_are_pruned_and_unfinished_ones_kept(tmp_path: Path) -> None:
    from storage.journal import KEEP_S, JournalRepository

    db = await _db(tmp_path)
    now = 2_000_000_000
    async with db.transaction() as conn:
        repo = JournalRepository(conn)
        await repo.record([(1, b"old, done"), (2, b"old, never finished")], now - KEEP_S - 10)
        await repo.mark_done([1], now - KEEP_S - 5)
        await repo.record([(3, b"recent, done")], now - 60)
        await repo.mark_done([3], now - 30)
        await repo.prune(now - KEEP_S)
    rows = await db.fetchall("SELECT update_id FROM update_journal ORDER BY update_id")
    assert [r[0] for r in rows] == [2, 3]  # a replay still needs 2; 3 still recognises a late redelivery
    await db.close()
