"""Fixtures for tests that run the Slack front end: the local Slack and the bot running against it (shared by
tests/slack and tests/journeys)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from tests.fakeslack import FakeSlack
from tests.fakeslack.pytest_plugin import fake_slack
from tests.harness import FakeClock
from tests.slack.harness import SlackRunner

__all__ = ["fake_slack", "slack_runner"]


@pytest_asyncio.fixture
async def slack_runner(
    fake_slack: FakeSlack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[SlackRunner]:
    yield SlackRunner(fake_slack, tmp_path / "bot.db", FakeClock(), monkeypatch)
