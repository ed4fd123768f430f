"""getUpdates waits until the fetched updates are handled, but never stalls for long on a slow one."""

from __future__ import annotations

import asyncio
import time

from bot.polling import ConfirmAfterHandling
from tests.fakes import FakeBotAPI


async def test_get_updates_waits_for_the_queue_to_be_handled() -> None:
    fake = FakeBotAPI()
    polling = ConfirmAfterHandling(fake, wait_s=5)
    polling.queue = asyncio.Queue()
    await polling.queue.put("update 1")
    await polling.queue.get()  # being handled, not yet task_done

    request = asyncio.create_task(polling.do_request("https://x/bot1:t/getUpdates", "POST"))
    await asyncio.sleep(0.1)
    assert not fake.calls, "asked Telegram (and so confirmed update 1) before it was handled"
    polling.queue.task_done()
    await asyncio.wait_for(request, 1)
    assert [c.method for c in fake.calls] == ["getUpdates"]


async def test_a_slow_handler_delays_polling_once_then_no_more() -> None:
    fake = FakeBotAPI()
    polling = ConfirmAfterHandling(fake, wait_s=0.2)
    polling.queue = asyncio.Queue()
    await polling.queue.put("slow update")
    await polling.queue.get()
    began = time.monotonic()
    await polling.do_request("https://x/bot1:t/getUpdates", "POST")
    assert time.monotonic() - began >= 0.2
    began = time.monotonic()
    await polling.do_request("https://x/bot1:t/getUpdates", "POST")
    assert time.monotonic() - began < 0.1  # the slow handler is still running: carry on
    polling.queue.task_done()
    await asyncio.sleep(0)
    await polling.shutdown()
    assert len(fake.of("getUpdates")) == 2
