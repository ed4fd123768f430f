import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run_cli(*args: str, env_extra: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "BOT_TOKEN"}
    env.update(env_extra or {})
    return subprocess.run(
        [sys.executable, "-m", "bot", *args], capture_output=True, text=True, cwd=ROOT, env=env, timeout=60
    )


def config_file(tmp_path: Path, text: str) -> Path:
    """A config.toml with this text in a fresh folder."""
    config = tmp_path / "config.toml"
    config.write_text(text, encoding="utf-8")
    return config


def test_run_without_token_exits_2_naming_bot_token(tmp_path: Path) -> None:
    config = config_file(tmp_path, '[community]\nname = "铁门社区"\n')
    result = run_cli("run", "--config", str(config))
    assert result.returncode == 2
    assert "BOT_TOKEN" in result.stderr


def test_check_config_names_the_wrong_key(tmp_path: Path) -> None:
    config = config_file(tmp_path, '[webhook]\nport = "eighty"\n')
    result = run_cli("check-config", "--config", str(config))
    assert result.returncode == 2
    assert "webhook.port" in result.stderr
    assert result.stderr.count("\n") == 1  # one clear line


def test_check_config_accepts_the_shipped_config() -> None:
    result = run_cli("check-config", "--config", str(ROOT / "config.toml"))
    assert result.returncode == 0, result.stderr


def test_missing_config_file_is_named(tmp_path: Path) -> None:
    result = run_cli("check-config", "--config", str(tmp_path / "nope.toml"))
    assert result.returncode == 2
    assert "nope.toml" in result.stderr


def test_every_subcommand_has_help() -> None:
    for sub in ("run", "migrate", "check-config", "backup", "i18n"):
        result = run_cli(sub, "--help")
        assert result.returncode == 0
        assert "--config" in result.stdout


def test_migrate_creates_the_database(tmp_path: Path) -> None:
    config = config_file(tmp_path, '[community]\nname = "铁门社区"\n[database]\npath = "db/bot.sqlite3"\n')
    result = run_cli("migrate", "--config", str(config))
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "db" / "bot.sqlite3").exists()
    again = run_cli("migrate", "--config", str(config))
    assert "applied none" in again.stdout
