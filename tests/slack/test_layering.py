"""The Slack front end's place in the house: a sibling of cogs/, reaching the core only through services."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT
from tests.test_architecture import imported_modules, python_files


@pytest.mark.parametrize("path", python_files("slack_app"), ids=str)
def test_the_slack_front_end_never_touches_storage_discord_or_the_discord_cogs(path: Path) -> None:
    forbidden = {
        m for m in imported_modules(path) if m.split(".")[0] in ("discord", "cogs") or m.startswith("bot.storage")
    }
    assert not forbidden


@pytest.mark.parametrize("path", python_files("bot"), ids=str)
def test_only_the_slack_client_imports_the_slack_front_end(path: Path) -> None:
    if path == REPO_ROOT / "bot/slack_client.py":
        return
    assert not {m for m in imported_modules(path) if m == "slack_app" or m.startswith("slack_app.")}


@pytest.mark.parametrize("path", python_files("cogs"), ids=str)
def test_the_discord_front_end_never_imports_slack(path: Path) -> None:
    assert not {m for m in imported_modules(path) if m.split(".")[0] in ("slack_app", "slack_bolt", "slack_sdk")}
