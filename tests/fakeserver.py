"""A fake Telegram Bot API over real HTTP on 127.0.0.1, for tests that run the bot as a process.

In a thread: ``with FakeTelegramServer() as server: ...`` (port 0: the OS picks one), then point the
bot's ``telegram.api_base_url`` at ``server.base_url``. As a process: ``python -m tests.fakeserver
--port N [--record calls.jsonl]``, driven through the ``/_fake/...`` control endpoints below.

Answers come from tests/fakes.FakeBotAPI (same JSON shapes, same error injection); this module adds
HTTP, the three request encodings PTB and others use (JSON, form, multipart), getUpdates with
Telegram's confirmation rule (an update is confirmed only when getUpdates is called with a higher
offset, so whatever a killed bot fetched but did not confirm is delivered again), long polling,
setWebhook/deleteWebhook, getFile and file downloads.

Control endpoints (no token): POST /_fake/updates (a JSON update or a list), GET /_fake/calls?since=N,
GET /_fake/state, POST /_fake/admins ({"chat_id": [user ids]}), POST /_fake/forbidden ([chat ids]).
"""

from __future__ import annotations

import argparse
import email.parser
import email.policy
import json
import signal
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from telegram.error import TimedOut

from tests.fakes import TEST_TOKEN, Call, FakeBotAPI

LOOPBACK = "127.0.0.1"
MAX_POLL_S = 50.0
# Form and multipart values arrive as strings; these fields carry JSON (numbers, booleans, objects).
JSON_FIELDS = frozenset(
    {
        "allow_sending_without_reply",
        "allowed_updates",
        "cache_time",
        "caption_entities",
        "chat_id",
        "commands",
        "disable_notification",
        "drop_pending_updates",
        "entities",
        "from_chat_id",
        "has_spoiler",
        "limit",
        "link_preview_options",
        "max_connections",
        "message_id",
        "message_ids",
        "message_thread_id",
        "offset",
        "protect_content",
        "reply_markup",
        "reply_parameters",
        "reply_to_message_id",
        "scope",
        "show_alert",
        "show_caption_above_media",
        "timeout",
        "user_id",
    }
)
UPDATE_TYPES = (
    "message",
    "edited_message",
    "channel_post",
    "edited_channel_post",
    "callback_query",
    "inline_query",
    "my_chat_member",
    "chat_member",
    "chat_join_request",
)


def decode_field(name: str, value: str) -> Any:
    """A form value as the Bot API reads it: JSON for typed fields, the string otherwise."""
    if name in JSON_FIELDS:
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def decode_body(content_type: str, body: bytes, query: str) -> tuple[dict[str, Any], dict[str, bytes]]:
    """Parameters and uploaded files of one Bot API request (query string, JSON, form or multipart)."""
    params: dict[str, Any] = {k: decode_field(k, v[-1]) for k, v in parse_qs(query).items()}
    files: dict[str, bytes] = {}
    kind = content_type.split(";")[0].strip().lower()
    if kind == "application/json" and body:
        loaded = json.loads(body)
        if isinstance(loaded, dict):
            params.update(loaded)
    elif kind == "application/x-www-form-urlencoded":
        params.update({k: decode_field(k, v[-1]) for k, v in parse_qs(body.decode(), keep_blank_values=True).items()})
    elif kind == "multipart/form-data":
        head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode()
        parsed = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + body)
        for part in parsed.iter_parts():
            name = part.get_param("name", header="content-disposition")
            if not isinstance(name, str):
                continue
            payload = part.get_payload(decode=True)
            content = payload if isinstance(payload, bytes) else b""
            if part.get_filename() is not None:
                files[name] = content
            else:
                params[name] = decode_field(name, content.decode())
    return params, files


def update_type(update: dict[str, Any]) -> str:
    """Which kind of update this is (its one non-id key)."""
    return next((key for key in UPDATE_TYPES if key in update), "")


@dataclass
class Recorded:
    """One call as written to the JSON-lines record and served by /_fake/calls."""

    seq: int
    method: str
    params: dict[str, Any]
    files: dict[str, int]
    at: float
    status: int
    result: Any

    @staticmethod
    def of(seq: int, call: Call, status: int) -> Recorded:
        """Describe a recorded call (file contents by size only)."""
        return Recorded(
            seq, call.method, call.params, {k: len(v) for k, v in call.files.items()}, call.at, status, call.result
        )


class FakeTelegramServer:
    """A threaded HTTP Bot API on 127.0.0.1 backed by a FakeBotAPI."""

    def __init__(
        self,
        *,
        token: str = TEST_TOKEN,
        port: int = 0,
        record: Path | None = None,
        api: FakeBotAPI | None = None,
    ) -> None:
        self.token = token
        self.api = api or FakeBotAPI()
        self.record = record
        self.files: dict[str, bytes] = {}  # file_path -> content, for getFile and /file/bot<token>/<path>
        self.delivered: Counter[int] = Counter()  # update_id -> how often getUpdates returned it
        self.webhook: dict[str, Any] = {}
        self.delays: dict[str, float] = {}  # method -> seconds to wait before answering (slow Telegram)
        self._pending: list[dict[str, Any]] = []  # unconfirmed updates, by update_id
        self._last_id = 0
        self._cond = threading.Condition()
        self._lock = threading.Lock()  # FakeBotAPI is not thread-safe: one call at a time
        self._status: dict[int, int] = {}  # id(call) -> HTTP status, once answered
        self._records = 0
        self._stopping = False
        self._server = _Server((LOOPBACK, port), _handler_for(self))
        self._server.daemon_threads = True
        self._server.block_on_close = False
        self._thread: threading.Thread | None = None

    # -- life cycle ---------------------------------------------------------------
    @property
    def port(self) -> int:
        """The port the OS gave us."""
        return int(self._server.server_address[1])

    @property
    def base_url(self) -> str:
        """What the bot's telegram.api_base_url should be."""
        return f"http://{LOOPBACK}:{self.port}/bot"

    def start(self) -> FakeTelegramServer:
        """Serve in a daemon thread."""
        self._thread = threading.Thread(target=self._server.serve_forever, name="fake-telegram", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Release long polls and stop serving."""
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> FakeTelegramServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- what tests do ------------------------------------------------------------
    def enqueue(self, *updates: dict[str, Any]) -> None:
        """Queue updates for getUpdates.

        Telegram numbers updates in the order they happen, so each gets the next update_id here
        (written into the dict, so the test can look it up afterwards): an update built early but
        sent late must not fall below an offset the bot already confirmed.
        """
        with self._cond:
            for update in updates:
                if not self.api.delivers(update):  # group privacy mode (tests.fakes.privacy_mode_delivers)
                    continue
                self._last_id = max(self._last_id + 1, int(update.get("update_id", 0)))
                update["update_id"] = self._last_id
                self._pending.append(update)
            self._cond.notify_all()

    def pending(self) -> list[dict[str, Any]]:
        """Updates not yet confirmed by the bot."""
        with self._cond:
            return list(self._pending)

    @property
    def calls(self) -> list[Call]:
        """A snapshot of every call so far."""
        with self._lock:
            return list(self.api.calls)

    def calls_since(self, index: int, method: str | None = None) -> list[Call]:
        """Calls from position index on (optionally of one method)."""
        return [c for c in self.calls[index:] if method is None or c.method == method]

    def wait_for(self, predicate: Callable[[], bool], timeout: float, what: str) -> None:
        """Poll predicate until true; fail the test with what after timeout seconds."""
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
            time.sleep(0.02)

    def seed_message(self, chat_id: int, text: str = "…") -> int:
        """A message the bot sent earlier (so a button press on it can be edited); returns its id."""
        with self._lock:
            message = self.api._message(Call("sendMessage", {"chat_id": chat_id, "text": text}), chat_id)
        return int(message["message_id"])

    # -- Bot API --------------------------------------------------------------------
    def call(self, method: str, params: dict[str, Any], files: dict[str, bytes]) -> tuple[int, bytes]:
        """Answer one Bot API method."""
        call = Call(method, params, files, time.monotonic())
        if method == "getUpdates":
            return self._get_updates(call)
        if method in self.delays:
            time.sleep(self.delays[method])
        special = self._special(call)
        with self._lock:
            if special is not None:
                self.api.calls.append(call)
                call.result = special
                status, body = 200, json.dumps({"ok": True, "result": special}).encode()
            else:
                status, body = self.api.respond(call)
            self._write_record(call, status)
        return status, body

    def _special(self, call: Call) -> Any:
        """Methods FakeBotAPI does not model: webhooks and files."""
        if call.method == "setWebhook":
            self.webhook = {"url": str(call.params.get("url", "")), "secret_token": call.params.get("secret_token")}
            if call.params.get("drop_pending_updates"):
                self._drop_pending()
            return True
        if call.method == "deleteWebhook":
            self.webhook = {}
            if call.params.get("drop_pending_updates"):
                self._drop_pending()
            return True
        if call.method == "getWebhookInfo":
            return {
                "url": self.webhook.get("url", ""),
                "has_custom_certificate": False,
                "pending_update_count": len(self.pending()),
            }
        if call.method == "getFile":
            file_id = str(call.params.get("file_id", ""))
            path = f"files/{file_id}"
            return {
                "file_id": file_id,
                "file_unique_id": f"u{file_id}",
                "file_size": len(self.files.get(path, b"")),
                "file_path": path,
            }
        return None

    def _drop_pending(self) -> None:
        with self._cond:
            self._pending.clear()

    def _get_updates(self, call: Call) -> tuple[int, bytes]:
        if self.webhook.get("url"):
            body = {
                "ok": False,
                "error_code": 409,
                "description": "Conflict: can't use getUpdates method while webhook is active",
            }
            self._record_plain(call, 409)
            return 409, json.dumps(body).encode()
        offset = int(call.params.get("offset") or 0)
        limit = min(max(int(call.params.get("limit") or 100), 1), 100)
        wait = min(float(call.params.get("timeout") or 0), MAX_POLL_S)
        allowed = call.params.get("allowed_updates") or None
        deadline = time.monotonic() + wait
        with self._lock:
            self.api.calls.append(call)  # recorded on arrival, so a test sees a poll that is still waiting
        with self._cond:
            if offset > 0:
                # Telegram's rule: asking from `offset` confirms every update below it, for good.
                self._pending = [u for u in self._pending if int(u["update_id"]) >= offset]
            while True:
                batch = [u for u in self._pending if allowed is None or update_type(u) in allowed][:limit]
                remaining = deadline - time.monotonic()
                if batch or remaining <= 0 or self._stopping:
                    break
                self._cond.wait(remaining)
            for update in batch:
                self.delivered[int(update["update_id"])] += 1
        call.result = batch
        with self._lock:
            self._write_record(call, 200)
        return 200, json.dumps({"ok": True, "result": batch}).encode()

    def _record_plain(self, call: Call, status: int) -> None:
        with self._lock:
            self.api.calls.append(call)
            self._write_record(call, status)

    def _write_record(self, call: Call, status: int) -> None:
        self._status[id(call)] = status
        if self.record is not None:
            line = asdict(Recorded.of(self._records, call, status))
            with self.record.open("a", encoding="utf-8") as fh:
                fh.write(json.dumps(line, ensure_ascii=False, default=str) + "\n")
        self._records += 1

    def recorded(self, since: int = 0) -> list[dict[str, Any]]:
        """Calls from position since on, as JSON-ready dicts (status 0: still waiting)."""
        with self._lock:
            calls = list(self.api.calls)[since:]
            return [asdict(Recorded.of(since + i, c, self._status.get(id(c), 0))) for i, c in enumerate(calls)]


class _Server(ThreadingHTTPServer):
    # The bot opens dozens of connections at once (concurrent updates); the default backlog of 5
    # would refuse some, which the bot sees as network errors Telegram never causes.
    request_queue_size = 256


def _handler_for(server: FakeTelegramServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as httpx expects
        # Headers and body go out in two writes; with Nagle on, each answer would wait for a delayed ACK.
        disable_nagle_algorithm = True

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: tests read the recorded calls instead."""

        def handle(self) -> None:
            try:
                super().handle()
            except (BrokenPipeError, ConnectionResetError):
                # The bot was killed mid-request: exactly what Telegram would see; nothing to report.
                self.close_connection = True

        def do_GET(self) -> None:
            self._dispatch()

        def do_POST(self) -> None:
            self._dispatch()

        def _dispatch(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            if len(body) < length:
                # The bot died while sending: Telegram never acts on half a request, and neither do we.
                self.close_connection = True
                return
            parts = urlsplit(self.path)
            try:
                status, payload, kind = self._route(unquote(parts.path), parts.query, body)
            except TimedOut:
                # An injected timeout: hang up without answering, as a lost connection would.
                self.close_connection = True
                return
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def _route(self, path: str, query: str, body: bytes) -> tuple[int, bytes, str]:
            json_type = "application/json"
            if path.startswith("/_fake/"):
                return (*_control(server, path.removeprefix("/_fake/"), query, body), json_type)
            bot_prefix = f"/bot{server.token}/"
            file_prefix = f"/file/bot{server.token}/"
            if path.startswith(bot_prefix):
                params, files = decode_body(self.headers.get("Content-Type", ""), body, query)
                status, payload = server.call(path.removeprefix(bot_prefix), params, files)
                return status, payload, json_type
            if path.startswith(file_prefix):
                content = server.files.get(path.removeprefix(file_prefix))
                if content is not None:
                    return 200, content, "application/octet-stream"
                return 404, b'{"ok":false,"error_code":404,"description":"Not Found"}', json_type
            return 401, b'{"ok":false,"error_code":401,"description":"Unauthorized"}', json_type

    return Handler


def _control(server: FakeTelegramServer, action: str, query: str, body: bytes) -> tuple[int, bytes]:
    """The test-only endpoints of the subprocess mode."""
    data: Any = json.loads(body) if body else None
    if action == "updates":
        server.enqueue(*(data if isinstance(data, list) else [data]))
        return 200, b'{"ok":true}'
    if action == "calls":
        since = int(parse_qs(query).get("since", ["0"])[-1])
        return 200, json.dumps(server.recorded(since), ensure_ascii=False, default=str).encode()
    if action == "state":
        state = {"pending": [u["update_id"] for u in server.pending()], "webhook": server.webhook}
        return 200, json.dumps(state).encode()
    if action == "admins" and isinstance(data, dict):
        server.api.admins.update({int(k): [int(u) for u in v] for k, v in data.items()})
        return 200, b'{"ok":true}'
    if action == "forbidden" and isinstance(data, list):
        server.api.forbidden.update(int(c) for c in data)
        return 200, b'{"ok":true}'
    return 404, b'{"ok":false}'


def main(argv: Iterable[str] | None = None) -> int:
    """python -m tests.fakeserver --port N [--token T] [--record FILE]; stops on SIGTERM or Ctrl-C."""
    parser = argparse.ArgumentParser(prog="python -m tests.fakeserver", description="fake Telegram Bot API")
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (0: any free one)")
    parser.add_argument("--token", default=TEST_TOKEN, help="the bot token to accept")
    parser.add_argument("--record", type=Path, help="append every call to this JSON-lines file")
    args = parser.parse_args(list(argv) if argv is not None else None)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with FakeTelegramServer(token=args.token, port=args.port, record=args.record) as server:
        print(f"fake Bot API on {server.base_url}", flush=True)
        try:
            while not stop.wait(0.5):
                pass
        except KeyboardInterrupt:
            pass
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
