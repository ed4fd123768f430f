"""Command line: courtyard-bot run | migrate | check-config | backup | i18n."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import urlsplit

from bot.config import Config, ConfigError, load_config

EXIT_CONFIG = 2
EXIT_LOCKED = 3


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="courtyard-bot", description="院落议事助手 Courtyard Bot")
    sub = parser.add_subparsers(dest="command", required=True)

    def add(name: str, help_text: str) -> argparse.ArgumentParser:
        cmd = sub.add_parser(name, help=help_text, description=help_text)
        cmd.add_argument("--config", type=Path, default=Path("config.toml"), help="path to config.toml")
        return cmd

    add("run", "start the bot (long polling, or webhook if configured)")
    add("migrate", "create or upgrade the SQLite database, then exit")
    add("check-config", "validate config.toml and exit (status 2 on the first error)")
    backup = add("backup", "copy the live database safely (SQLite online backup) to FILE")
    backup.add_argument("file", type=Path, help="where to write the copy")
    i18n = add("i18n", "translation catalogues: extract, update or check")
    i18n.add_argument("action", choices=("extract", "update", "check"))
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the courtyard-bot console script."""
    args = _parser().parse_args(argv)
    if args.command == "i18n":
        from bot import i18n_tools

        return i18n_tools.main(args.action)
    try:
        config = load_config(args.config)
        if args.command == "run":
            config.require_token()
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return EXIT_CONFIG
    if args.command == "check-config":
        print(f"config ok: {args.config}")
        return 0
    if args.command == "migrate":
        return asyncio.run(_migrate(config))
    if args.command == "backup":
        return asyncio.run(_backup(config, args.file))
    return _run(config)


async def _migrate(config: Config) -> int:
    from storage.db import Database

    db = Database(config.database.path)
    await db.open()
    try:
        applied = await db.migrate()
        print(f"database {config.database.path}: version {await db.user_version()} (applied {applied or 'none'})")
    finally:
        await db.close()
    return 0


async def _backup(config: Config, target: Path) -> int:
    from storage.db import Database

    db = Database(config.database.path)
    await db.open()
    try:
        await db.backup(target)
    finally:
        await db.close()
    print(f"backup written to {target}")
    return 0


def _run(config: Config) -> int:
    from bot.logging_setup import setup_logging
    from storage.lock import InstanceLock, LockHeld

    setup_logging(token=config.telegram.token)
    log = logging.getLogger("courtyard-bot")
    # The lock comes before the heavy imports, so a second process is turned away at once.
    lock = InstanceLock(Path(str(config.database.path) + ".lock"))
    try:
        lock.acquire()
    except LockHeld:
        print(
            f"another courtyard-bot is already running on {config.database.path}; "
            "stop it first (two processes must never share one database)",
            file=sys.stderr,
        )
        return EXIT_LOCKED
    try:
        from bot.app import build_application

        app = build_application(config)
        log.info("starting in %s mode", config.telegram.mode)
        if config.telegram.mode == "webhook":
            app.run_webhook(
                listen=config.webhook.listen,
                port=config.webhook.port,
                # Serve the path of the public URL: a reverse proxy forwards https://host/hook to
                # http://listen:port/hook unchanged. The secret travels in Telegram's header only.
                url_path=urlsplit(config.webhook.url).path,
                webhook_url=config.webhook.url,
                secret_token=config.webhook.secret_token,
                allowed_updates=["message", "edited_message", "callback_query", "my_chat_member", "chat_member"],
            )
        else:
            # drop_pending_updates stays False: updates sent while we were down must be handled.
            app.run_polling(
                allowed_updates=["message", "edited_message", "callback_query", "my_chat_member", "chat_member"],
                drop_pending_updates=False,
            )
    finally:
        lock.release()
    return 0


if __name__ == "__main__":
    sys.exit(main())
