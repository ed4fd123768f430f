"""Dependencies point one way: handlers -> bot.services -> storage."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def top(names: set[str]) -> set[str]:
    return {n.split(".")[0] for n in names}


def test_storage_knows_nothing_of_telegram_or_the_bot() -> None:
    for path in (ROOT / "storage").rglob("*.py"):
        mods = top(imported_modules(path))
        assert not mods & {"telegram", "bot", "handlers", "babel"}, path


def test_services_are_free_of_telegram_and_handlers() -> None:
    for path in (ROOT / "bot" / "services").rglob("*.py"):
        mods = imported_modules(path)
        assert not top(mods) & {"telegram", "handlers"}, path
        assert "bot.i18n" not in mods, f"{path}: services never format text"


def test_framework_free_core_modules() -> None:
    for name in ("config.py", "clock.py", "callback_data.py", "i18n.py", "timeparse.py", "charts.py", "chart_text.py"):
        path = ROOT / "bot" / name
        if path.exists():
            assert "telegram" not in top(imported_modules(path)), path


def test_no_f_string_passed_to_gettext() -> None:
    for path in [*(ROOT / "handlers").rglob("*.py"), *(ROOT / "bot").rglob("*.py")]:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in ("_", "plain"):
                assert node.args and isinstance(node.args[0], ast.Constant), f"{path}:{node.lineno}"


def test_feature_handlers_reach_storage_only_through_services() -> None:
    # Handlers may name storage's row dataclasses; the database and repositories are the services' job.
    for path in (ROOT / "handlers").rglob("*.py"):
        for module in imported_modules(path):
            if module.startswith("storage"):
                assert module not in ("storage", "storage.db"), f"{path}: imports {module}"
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("storage"):
                repos = [a.name for a in node.names if a.name.endswith("Repository") or a.name == "Database"]
                assert not repos, f"{path}: imports {repos} from {node.module}"
