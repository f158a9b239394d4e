"""The Slack front end's fixtures (tests/slack/fixtures.py)."""

from tests.slack.fixtures import complete_user_groups, fake_slack, slack_runner

__all__ = ["complete_user_groups", "fake_slack", "slack_runner"]
