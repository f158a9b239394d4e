"""The driver: what tests do as Slack members, against a running app."""

from __future__ import annotations

from .interactions import InteractionDriver
from .members import MemberDriver


class Driver(InteractionDriver, MemberDriver):
    """Every way a test acts on the app through the fake (see the parts)."""


__all__ = ["Driver", "InteractionDriver", "MemberDriver"]
