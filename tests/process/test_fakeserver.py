"""The fake Bot API server itself: Telegram's getUpdates rules, encodings, and the subprocess mode."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup

from tests import builders as b
from tests.fakes import TEST_TOKEN
from tests.fakeserver import FakeTelegramServer
from tests.process.botproc import ROOT, child_env

pytestmark = pytest.mark.process

AUNT = b.TgUser(100001, "李阿姨")


def api(base: str, method: str, **params: Any) -> tuple[int, Any]:
    """Call a Bot API method with a JSON body; return (HTTP status, decoded body)."""
    request = urllib.request.Request(
        f"{base}{TEST_TOKEN}/{method}",
        data=json.dumps(params).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return int(response.status), json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def test_get_updates_confirms_only_with_a_higher_offset() -> None:
    with FakeTelegramServer() as server:
        updates = [b.message(AUNT, b.private(AUNT), f"/help {i}") for i in range(3)]
        server.enqueue(*updates)
        ids = [u["update_id"] for u in updates]
        assert ids == sorted(ids)
        _, first = api(server.base_url, "getUpdates", offset=0, timeout=0)
        _, again = api(server.base_url, "getUpdates", offset=0, timeout=0)
        assert [u["update_id"] for u in first["result"]] == [u["update_id"] for u in again["result"]] == ids
        _, rest = api(server.base_url, "getUpdates", offset=ids[1], timeout=0)
        assert [u["update_id"] for u in rest["result"]] == ids[1:]
        _, empty = api(server.base_url, "getUpdates", offset=ids[-1] + 1, timeout=0)
        assert empty["result"] == [] and server.pending() == []
        assert server.delivered[ids[0]] == 2 and server.delivered[ids[2]] == 3


def test_long_poll_returns_when_an_update_arrives() -> None:
    with FakeTelegramServer() as server:
        late = b.message(AUNT, b.private(AUNT), "/menu")
        timer = threading.Timer(0.3, server.enqueue, args=(late,))
        began = time.monotonic()
        timer.start()
        _, got = api(server.base_url, "getUpdates", offset=0, timeout=20)
        assert [u["update_id"] for u in got["result"]] == [late["update_id"]]
        assert time.monotonic() - began < 10


def test_webhook_blocks_polling_and_a_wrong_token_is_refused() -> None:
    with FakeTelegramServer() as server:
        assert api(server.base_url, "setWebhook", url="https://example.invalid/hook", secret_token="s")[0] == 200
        status, body = api(server.base_url, "getUpdates", timeout=0)
        assert status == 409 and "webhook" in body["description"]
        assert api(server.base_url, "deleteWebhook")[0] == 200
        assert api(server.base_url, "getUpdates", timeout=0)[0] == 200
        assert api(server.base_url.replace("/bot", "/botnot-the-token"), "getMe")[0] == 401


async def test_python_telegram_bot_talks_to_it_with_form_and_multipart_bodies() -> None:
    with FakeTelegramServer() as server:
        bot = Bot(TEST_TOKEN, base_url=server.base_url, base_file_url=server.base_url.replace("/bot", "/file/bot"))
        async with bot:
            assert bot.username == "CourtyardTestBot"
            keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("报名", callback_data="tm1:join:3")]])
            sent = await bot.send_message(-1001000000001, "<b>123</b>", parse_mode="HTML", reply_markup=keyboard)
            await bot.edit_message_text("<i>改了</i>", chat_id=-1001000000001, message_id=sent.message_id)
            photo = await bot.send_photo(AUNT.id, b"\x89PNG fake bytes", caption="照片")
            await bot.send_document(AUNT.id, b"PK\x03\x04 xlsx", filename="统计.xlsx", caption="表格")
            assert await bot.answer_callback_query("42", text="好的")
            server.files["files/abc"] = b"downloaded"
            file = await bot.get_file("abc")
            assert bytes(await file.download_as_bytearray()) == b"downloaded"
        calls = {c.method: c for c in server.calls}
        message = calls["sendMessage"]
        assert message.chat_id == -1001000000001 and message.text == "<b>123</b>"  # a text of digits stays text
        assert message.buttons == [("报名", "tm1:join:3")]
        assert calls["editMessageText"].params["message_id"] == sent.message_id
        assert calls["sendPhoto"].files["photo"] == b"\x89PNG fake bytes" and photo.caption == "照片"
        assert calls["sendDocument"].files["document"].startswith(b"PK") and calls["sendDocument"].text == "表格"
        assert calls["answerCallbackQuery"].params == {"callback_query_id": "42", "text": "好的"}


def test_runs_as_a_process_with_control_endpoints_and_a_call_record(tmp_path: Path) -> None:
    record = tmp_path / "calls.jsonl"
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.fakeserver", "--port", "0", "--record", str(record)],
        stdout=subprocess.PIPE,
        text=True,
        env=child_env(),
        cwd=ROOT,
    )
    try:
        assert proc.stdout is not None
        base = proc.stdout.readline().split()[-1]
        assert base.startswith("http://127.0.0.1:") and base.endswith("/bot")
        control = base.removesuffix("/bot") + "/_fake/"
        update = b.message(AUNT, b.private(AUNT), "/start")
        request = urllib.request.Request(control + "updates", data=json.dumps([update]).encode(), method="POST")
        urllib.request.urlopen(request, timeout=10).close()
        _, got = api(base, "getUpdates", timeout=0)
        assert [u["message"]["text"] for u in got["result"]] == ["/start"]
        assert api(base, "sendMessage", chat_id=AUNT.id, text="您好")[1]["result"]["text"] == "您好"
        with urllib.request.urlopen(control + "calls?since=1", timeout=10) as response:
            calls = json.loads(response.read())
        assert [c["method"] for c in calls] == ["sendMessage"]
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    lines = [json.loads(line) for line in record.read_text(encoding="utf-8").splitlines()]
    assert [line["method"] for line in lines] == ["getUpdates", "sendMessage"]
    assert lines[1]["status"] == 200 and lines[1]["params"]["text"] == "您好"
