"""The Slack front end's fixtures (tests/slack/fixtures.py)."""

from tests.slack.fixtures import fake_slack, slack_runner

__all__ = ["fake_slack", "slack_runner"]
