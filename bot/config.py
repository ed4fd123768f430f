"""Load and validate config.toml into a frozen Config."""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

SUPPORTED_LOCALES = ("zh_CN", "en")
_OFFSET_RE = re.compile(r"^(\d+)([dhm])$")
_OFFSET_UNITS = {"d": "days", "h": "hours", "m": "minutes"}


class ConfigError(Exception):
    """A configuration value is missing or wrong; the message names the key."""

    def __init__(self, key: str, problem: str) -> None:
        super().__init__(f"config error: {key}: {problem}")
        self.key = key
        self.problem = problem


@dataclass(frozen=True)
class TelegramConfig:
    token: str
    api_base_url: str
    mode: str
    concurrent_updates: int
    rate_limiter: bool


@dataclass(frozen=True)
class WebhookConfig:
    url: str
    listen: str
    port: int
    secret_token: str


@dataclass(frozen=True)
class CommunityConfig:
    name: str
    timezone: ZoneInfo
    default_locale: str


@dataclass(frozen=True)
class RolesConfig:
    social_workers: frozenset[int]


@dataclass(frozen=True)
class DatabaseConfig:
    path: Path


@dataclass(frozen=True)
class RemindersConfig:
    default_offsets: tuple[timedelta, ...]


DEFAULT_FEEDBACK_CATEGORIES = ("环境卫生", "设施维修", "安全隐患", "邻里关系", "建议", "其他")
DEFAULT_FEEDBACK_TARGETS = {"安全隐患": 1, "设施维修": 3}


@dataclass(frozen=True)
class FeedbackConfig:
    categories: tuple[str, ...]
    targets: Mapping[str, int]  # category -> days to acknowledge; a category not named takes default_target
    default_target: int
    ask_after_days: int  # 解决了吗？ this many days after 已解决

    def target_days(self, category: str) -> int:
        """Days within which an item of this category should be acknowledged."""
        return self.targets.get(category, self.default_target)


@dataclass(frozen=True)
class Config:
    telegram: TelegramConfig
    webhook: WebhookConfig
    community: CommunityConfig
    roles: RolesConfig
    database: DatabaseConfig
    reminders: RemindersConfig
    feedback: FeedbackConfig = field(
        default_factory=lambda: FeedbackConfig(DEFAULT_FEEDBACK_CATEGORIES, DEFAULT_FEEDBACK_TARGETS, 2, 3)
    )
    source: Path | None = field(default=None, compare=False)

    def require_token(self) -> str:
        """Return the bot token or raise a ConfigError that explains BOT_TOKEN."""
        if not self.telegram.token:
            raise ConfigError(
                "telegram.token",
                "no bot token: set the BOT_TOKEN environment variable "
                "(or telegram.token in config.toml); get a token from @BotFather",
            )
        return self.telegram.token


class _Reader:
    """Typed access to one TOML table that names the full key in every error."""

    def __init__(self, data: Mapping[str, Any], prefix: str) -> None:
        self._data = data
        self._prefix = prefix

    def _key(self, name: str) -> str:
        return f"{self._prefix}.{name}"

    def table(self, name: str) -> _Reader:
        value = self._data.get(name, {})
        if not isinstance(value, Mapping):
            raise ConfigError(name, "must be a table like [" + name + "]")
        return _Reader(value, name)

    def get_str(self, name: str, default: str) -> str:
        value = self._data.get(name, default)
        if not isinstance(value, str):
            raise ConfigError(self._key(name), f"must be a string, got {type(value).__name__}")
        return value

    def get_int(self, name: str, default: int, *, low: int, high: int) -> int:
        value = self._data.get(name, default)
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(self._key(name), f"must be an integer, got {type(value).__name__}")
        if not low <= value <= high:
            raise ConfigError(self._key(name), f"must be between {low} and {high}, got {value}")
        return value

    def get_bool(self, name: str, default: bool) -> bool:
        value = self._data.get(name, default)
        if not isinstance(value, bool):
            raise ConfigError(self._key(name), f"must be true or false, got {type(value).__name__}")
        return value

    def get_list(self, name: str, default: list[Any]) -> list[Any]:
        value = self._data.get(name, default)
        if not isinstance(value, list):
            raise ConfigError(self._key(name), f"must be a list, got {type(value).__name__}")
        return value


def parse_offset(text: str) -> timedelta:
    """Parse a reminder offset such as "1d", "1h" or "30m"."""
    match = _OFFSET_RE.match(text.strip())
    if not match:
        raise ValueError(text)
    return timedelta(**{_OFFSET_UNITS[match.group(2)]: int(match.group(1))})


def config_from_mapping(
    data: Mapping[str, Any], *, env: Mapping[str, str] | None = None, source: Path | None = None
) -> Config:
    """Validate a parsed TOML mapping; the environment may override the token."""
    env = os.environ if env is None else env
    root = _Reader(data, "")

    tg = root.table("telegram")
    token = env.get("BOT_TOKEN", "") or tg.get_str("token", "")
    mode = tg.get_str("mode", "polling")
    if mode not in ("polling", "webhook"):
        raise ConfigError("telegram.mode", f'must be "polling" or "webhook", got "{mode}"')
    api_base_url = tg.get_str("api_base_url", "").rstrip("/")
    if api_base_url and not api_base_url.startswith(("http://", "https://")):
        raise ConfigError("telegram.api_base_url", "must start with http:// or https://")
    telegram = TelegramConfig(
        token=token.strip(),
        api_base_url=api_base_url,
        mode=mode,
        concurrent_updates=tg.get_int("concurrent_updates", 32, low=1, high=1024),
        rate_limiter=tg.get_bool("rate_limiter", True),
    )

    wh = root.table("webhook")
    webhook = WebhookConfig(
        url=wh.get_str("url", ""),
        listen=wh.get_str("listen", "0.0.0.0"),
        port=wh.get_int("port", 8443, low=1, high=65535),
        secret_token=wh.get_str("secret_token", ""),
    )
    if mode == "webhook":
        if not webhook.url.startswith("https://"):
            raise ConfigError("webhook.url", "webhook mode needs an https:// URL")
        if not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", webhook.secret_token):
            raise ConfigError("webhook.secret_token", "webhook mode needs a secret of 1-256 of A-Z a-z 0-9 _ -")

    cm = root.table("community")
    tz_name = cm.get_str("timezone", "Asia/Shanghai")
    try:
        tz = ZoneInfo(tz_name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigError("community.timezone", f'unknown time zone "{tz_name}"') from exc
    locale = cm.get_str("default_locale", "zh_CN")
    if locale not in SUPPORTED_LOCALES:
        raise ConfigError("community.default_locale", f"must be one of {', '.join(SUPPORTED_LOCALES)}")
    name = cm.get_str("name", "").strip()
    if not name:
        raise ConfigError("community.name", "must not be empty")
    community = CommunityConfig(name=name, timezone=tz, default_locale=locale)

    rl = root.table("roles")
    workers = rl.get_list("social_workers", [])
    for item in workers:
        if isinstance(item, bool) or not isinstance(item, int) or item <= 0:
            raise ConfigError("roles.social_workers", f"must list Telegram user ids (positive integers), got {item!r}")
    roles = RolesConfig(social_workers=frozenset(workers))

    db = root.table("database")
    db_path = db.get_str("path", "data/courtyard.sqlite3")
    if not db_path.strip():
        raise ConfigError("database.path", "must not be empty")
    path = Path(db_path)
    if not path.is_absolute() and source is not None and db_path != ":memory:":
        path = source.parent / path
    database = DatabaseConfig(path=path)

    rm = root.table("reminders")
    offsets: list[timedelta] = []
    for item in rm.get_list("default_offsets", ["1d", "1h"]):
        try:
            offsets.append(parse_offset(item if isinstance(item, str) else ""))
        except ValueError as exc:
            raise ConfigError(
                "reminders.default_offsets", f'items look like "1d", "2h" or "30m", got {item!r}'
            ) from exc
    reminders = RemindersConfig(default_offsets=tuple(sorted(set(offsets), reverse=True)))

    feedback = _feedback_config(root.table("feedback"))

    return Config(
        telegram=telegram,
        webhook=webhook,
        community=community,
        roles=roles,
        database=database,
        reminders=reminders,
        feedback=feedback,
        source=source,
    )


def _feedback_config(fb: _Reader) -> FeedbackConfig:
    """[feedback]: categories in residents' words, target days per category, when to ask 解决了吗？."""
    categories = fb.get_list("categories", list(DEFAULT_FEEDBACK_CATEGORIES))
    if not categories or len(categories) > 12:
        raise ConfigError("feedback.categories", "must list 1 to 12 categories")
    for item in categories:
        if not isinstance(item, str) or not item.strip() or len(item) > 12:
            raise ConfigError("feedback.categories", f"items are short names (at most 12 characters), got {item!r}")
    if len(set(categories)) != len(categories):
        raise ConfigError("feedback.categories", "lists a category twice")
    raw = fb._data.get("targets", DEFAULT_FEEDBACK_TARGETS)
    if not isinstance(raw, Mapping):
        raise ConfigError("feedback.targets", 'must be a table like { "安全隐患" = 1 } (days per category)')
    targets: dict[str, int] = {}
    for name, days in raw.items():
        if name not in categories:
            raise ConfigError("feedback.targets", f"names a category not in feedback.categories: {name!r}")
        if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= 60:
            raise ConfigError("feedback.targets", f"days must be a whole number from 1 to 60, got {days!r}")
        targets[name] = days
    return FeedbackConfig(
        categories=tuple(categories),
        targets=targets,
        default_target=fb.get_int("default_target", 2, low=1, high=60),
        ask_after_days=fb.get_int("ask_after_days", 3, low=1, high=60),
    )


def load_config(path: Path, *, env: Mapping[str, str] | None = None) -> Config:
    """Read config.toml; a missing file is an error that names the path."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError as exc:
        raise ConfigError(str(path), "file not found (copy config.toml from the project root)") from exc
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(str(path), f"not valid TOML: {exc}") from exc
    return config_from_mapping(data, env=env, source=path.resolve())
