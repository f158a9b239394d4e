"""The driver: what tests do as Discord's users and admins, against a running bot."""

from __future__ import annotations

from .events import EventDriver
from .guilds import GuildDriver
from .interactions import InteractionDriver
from .members import MemberDriver


class Driver(InteractionDriver, MemberDriver, EventDriver, GuildDriver):
    """Every way a test acts on the bot through the fake (see the parts)."""


__all__ = ["Driver", "EventDriver", "GuildDriver", "InteractionDriver", "MemberDriver"]
