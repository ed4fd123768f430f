from pathlib import Path

import pytest

from bot.config import ConfigError, config_from_mapping, load_config

ROOT = Path(__file__).resolve().parents[2]


def test_shipped_config_loads_and_token_comes_from_env() -> None:
    config = load_config(ROOT / "config.toml", env={"BOT_TOKEN": "123:abc"})
    assert config.telegram.token == "123:abc"
    assert config.community.name == "铁门社区"
    assert str(config.community.timezone) == "Asia/Shanghai"
    assert [int(o.total_seconds()) for o in config.reminders.default_offsets] == [86400, 3600]
    assert config.database.path == ROOT / "data" / "courtyard.sqlite3"


@pytest.mark.parametrize(
    ("data", "key"),
    [
        ({"telegram": {"mode": "carrier-pigeon"}}, "telegram.mode"),
        ({"telegram": {"concurrent_updates": "many"}}, "telegram.concurrent_updates"),
        ({"webhook": {"port": "8443"}}, "webhook.port"),
        ({"community": {"timezone": "Mars/Olympus"}}, "community.timezone"),
        ({"community": {"default_locale": "fr"}}, "community.default_locale"),
        ({"roles": {"social_workers": ["王社工"]}}, "roles.social_workers"),
        ({"roles": {"social_workers": 5}}, "roles.social_workers"),
        ({"reminders": {"default_offsets": ["1 day"]}}, "reminders.default_offsets"),
        ({"telegram": {"mode": "webhook"}, "webhook": {"url": "https://x.example/hook"}}, "webhook.secret_token"),
        ({"telegram": {"api_base_url": "ftp://x"}}, "telegram.api_base_url"),
        ({"telegram": []}, "telegram"),
        ({"community": {"name": " "}}, "community.name"),
    ],
)
def test_bad_values_name_the_key(data: dict, key: str) -> None:
    full = {"community": {"name": "铁门社区"}}
    for section, values in data.items():
        full[section] = {**full.get(section, {}), **values} if isinstance(values, dict) else values
    with pytest.raises(ConfigError) as info:
        config_from_mapping(full, env={})
    assert info.value.key == key
    assert key in str(info.value)


def test_missing_token_explains_bot_token() -> None:
    config = config_from_mapping({"community": {"name": "铁门社区"}}, env={})
    with pytest.raises(ConfigError) as info:
        config.require_token()
    assert "BOT_TOKEN" in str(info.value)


def test_config_is_frozen() -> None:
    config = config_from_mapping({"community": {"name": "x"}}, env={"BOT_TOKEN": "1:x"})
    with pytest.raises(AttributeError):
        config.telegram.token = "other"  # type: ignore[misc]
