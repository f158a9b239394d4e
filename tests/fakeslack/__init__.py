"""A local Slack for tests: the Web API, Socket Mode, response URLs and uploads, for an unmodified slack_sdk
and slack_bolt, plus a driver acting as workspace members. See README.md."""

from __future__ import annotations

from .core import RecordedCall, SlackError
from .interactions import Interaction
from .server import FakeSlack
from .world import APP_ID, BOT_ID, TEAM_ID, Channel, Message, User, View, World

__all__ = [
    "APP_ID",
    "BOT_ID",
    "TEAM_ID",
    "Channel",
    "FakeSlack",
    "Interaction",
    "Message",
    "RecordedCall",
    "SlackError",
    "User",
    "View",
    "World",
]
