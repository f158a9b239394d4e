"""Journeys written once and run on both platforms: the Slack fixtures beside Discord's (tests/conftest.py)."""

from tests.slack.fixtures import complete_user_groups, fake_slack, slack_runner

__all__ = ["complete_user_groups", "fake_slack", "slack_runner"]
