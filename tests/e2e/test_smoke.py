from tests import builders as b
from tests.harness import SOCIAL_WORKER_ID, Harness

SW = b.TgUser(SOCIAL_WORKER_ID, "王社工")
RESIDENT = b.TgUser(100001, "李阿姨")


async def test_start_in_private(h: Harness) -> None:
    await h.send(b.message(RESIDENT, b.private(RESIDENT), "/start"))
    print(h.fake.last_text())
    assert h.fake.sent(RESIDENT.id)


async def test_bind(h: Harness) -> None:
    g = b.group()
    await h.send(b.message(SW, g, "/bind 碧水苑"))
    print(h.fake.last_text())
    print(await h.rows("select * from chats"))
