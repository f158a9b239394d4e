"""Fixtures for tests that run the Slack front end: the local Slack and the bot running against it (shared by
tests/slack and tests/journeys)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from tests.fakeslack import FakeSlack
from tests.fakeslack.pytest_plugin import fake_slack
from tests.fakeslack.world import UserGroup
from tests.harness import FakeClock
from tests.slack.harness import SlackRunner

__all__ = ["complete_user_groups", "fake_slack", "slack_runner"]


@pytest.fixture(autouse=True)
def complete_user_groups(monkeypatch: pytest.MonkeyPatch) -> None:
    """The local Slack's first version leaves out fields of the user group object that Slack's published
    description requires (auto_provision, enterprise_subteam_id, created_by as a user id), so its own
    answer validation fails every usergroups.list. Filled in here until the fake has them."""
    original = UserGroup.to_dict

    def to_dict(self: UserGroup, *, include_users: bool = False) -> Any:
        data = original(self, include_users=include_users)
        data.setdefault("auto_provision", False)
        data.setdefault("enterprise_subteam_id", "")
        for key in ("created_by", "updated_by"):
            if not data.get(key):
                data[key] = "U0000000001"
        return data

    monkeypatch.setattr(UserGroup, "to_dict", to_dict)


@pytest_asyncio.fixture
async def slack_runner(
    fake_slack: FakeSlack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[SlackRunner]:
    yield SlackRunner(fake_slack, tmp_path / "bot.db", FakeClock(), monkeypatch)
