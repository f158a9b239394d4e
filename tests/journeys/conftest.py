"""Journeys written once and run on both platforms: the Slack fixtures beside Discord's (tests/conftest.py)."""

from tests.slack.fixtures import fake_slack, slack_runner

__all__ = ["fake_slack", "slack_runner"]
