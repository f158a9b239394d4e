"""House rules that a test can hold: the core never imports a platform's library; only the composition root
asks which platform an id belongs to; nothing reads settings at import."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT

CORE = ["bot/domain", "bot/storage", "bot/services"]


def python_files(folder: str) -> list[Path]:
    return sorted((REPO_ROOT / folder).rglob("*.py"))


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


PLATFORM_LIBRARIES = ("discord", "slack_bolt", "slack_sdk")
FRONT_ENDS = ("discord", "slack_bolt", "slack_sdk", "cogs", "slack_app", "bot.client", "bot.slack_client")


def imports_any(path: Path, packages: tuple[str, ...]) -> set[str]:
    return {m for m in imported_modules(path) for p in packages if m == p or m.startswith(f"{p}.")}


@pytest.mark.parametrize("path", [p for folder in CORE for p in python_files(folder)], ids=str)
def test_core_code_imports_no_platform_library(path: Path) -> None:
    assert not imports_any(path, PLATFORM_LIBRARIES)


@pytest.mark.parametrize("path", python_files("bot/core"), ids=str)
def test_the_composition_root_imports_no_front_end(path: Path) -> None:
    """bot/core is assembled apart from any front end: the front ends attach their adapters to it."""
    assert not imports_any(path, FRONT_ENDS)


@pytest.mark.parametrize("path", python_files("bot"), ids=str)
def test_only_the_slack_client_imports_the_slack_front_end(path: Path) -> None:
    if path == REPO_ROOT / "bot/slack_client.py":
        return
    assert not imports_any(path, ("slack_app",))


@pytest.mark.parametrize(
    "path",
    [p for folder in ["bot/domain", "bot/services", "bot/storage", "cogs"] for p in python_files(folder)],
    ids=str,
)
def test_services_never_ask_which_platform_they_serve(path: Path) -> None:
    """platform_of is for the composition root's routers (and the storage row's platform column) only."""
    text = path.read_text(encoding="utf-8")
    if path in (REPO_ROOT / "bot/domain/platform_ids.py", REPO_ROOT / "bot/storage/communities.py"):
        return
    assert "platform_of" not in text


@pytest.mark.parametrize("path", python_files("bot/domain"), ids=str)
def test_domain_code_does_no_io(path: Path) -> None:
    forbidden = {"aiosqlite", "sqlite3", "aiohttp", "os", "apscheduler"}
    assert not imported_modules(path) & forbidden


def test_sql_lives_in_storage() -> None:
    for folder in ["bot/domain", "bot/services", "cogs"]:
        for path in python_files(folder):
            text = path.read_text(encoding="utf-8")
            for keyword in ("SELECT ", "INSERT INTO", "DELETE FROM", "UPDATE "):
                assert keyword not in text, f"{path} has SQL ({keyword.strip()})"


@pytest.mark.parametrize("path", python_files("cogs"), ids=str)
def test_cogs_reach_storage_only_through_services(path: Path) -> None:
    assert not {m for m in imported_modules(path) if m.startswith("bot.storage")}


@pytest.mark.parametrize("path", python_files("bot"), ids=str)
def test_bot_imports_no_cog_module(path: Path) -> None:
    """The composition root gets the Discord adapters from the ``cogs._discord`` extension, loaded by name."""
    assert not {m for m in imported_modules(path) if m == "cogs" or m.startswith("cogs.")}


def test_the_discord_adapters_are_handed_over_at_construction_only() -> None:
    """No service has a setter for its Discord adapter, and no cog attaches one later."""
    for path in [
        *python_files("bot/services"),
        *python_files("bot/core"),
        REPO_ROOT / "bot/client.py",
        *python_files("cogs"),
    ]:
        text = path.read_text(encoding="utf-8")
        for late_binding in ("set_notifier", "set_gateway", "services.reminders.attach", "def attach("):
            assert late_binding not in text, f"{path} binds a Discord adapter late ({late_binding})"


@pytest.mark.parametrize(
    "path", [p for folder in ["bot/storage", "bot/services"] for p in python_files(folder)], ids=str
)
def test_only_the_sqlite_engine_speaks_sqlite(path: Path) -> None:
    """Repositories and services code against bot.storage.engine's protocols, whichever engine is underneath."""
    if path == REPO_ROOT / "bot/storage/engine/_sqlite.py":
        return
    assert not imported_modules(path) & {"aiosqlite", "sqlite3"}
    if path.parent != REPO_ROOT / "bot/storage/engine" and path != REPO_ROOT / "bot/storage/database.py":
        assert "PRAGMA" not in path.read_text(encoding="utf-8").replace("``PRAGMA", "")
