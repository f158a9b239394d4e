"""How the reminder service reaches a platform: the sender it is given, and what a send may raise."""

from __future__ import annotations

import hashlib
from typing import Protocol

from bot.domain.permissions import Permission
from bot.domain.reminder_text import AnswerButtonSpec, OutgoingMessage

# The message types are the domain's (compose_reminder builds them, and the domain imports no service);
# the port re-exports them as what a sender is handed.
__all__ = [
    "AnswerButtonSpec",
    "ChannelRefused",
    "DeliveryFailed",
    "DeliveryRefused",
    "OutboxUnreadable",
    "OutgoingMessage",
    "ReminderSender",
    "content_digest",
]


class DeliveryRefused(Exception):
    """Discord will not take this message for this target, and trying again cannot help.

    ``reason`` is stored in the ledger: ``dms_closed`` (403/50007, the member does not accept DMs from
    the bot), or a short description (missing access to the channel, unknown channel...).
    """

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class DeliveryFailed(Exception):
    """This attempt failed, a later one may work: rate limited (429), Discord unavailable (5xx), network."""

    def __init__(self, reason: str, *, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after


class ChannelRefused(DeliveryFailed):
    """The bot may not post in a channel: a permission is missing (``missing``, when the bot knows which).

    Retried later like a failure, because an organiser can fix it, and recorded in RuntimeProblems so
    that organisers see which channel lacks what. The adapter words it in its platform's terms: ``where``
    (the channel as a mention on that platform), ``problem`` (what is wrong) and ``fix`` (how an organiser
    fixes it there); the service adds only what is the same everywhere. ``foreign``: the channel is not the
    community's own (another community's, or another platform's id), so the one fix is choosing one of its own.
    """

    def __init__(
        self,
        channel_id: int,
        missing: Permission | None,
        reason: str,
        *,
        where: str | None = None,
        problem: str | None = None,
        fix: str | None = None,
        foreign: bool = False,
    ) -> None:
        super().__init__(reason)
        self.channel_id = channel_id
        self.foreign = foreign
        self.missing = missing
        self.where = where or "the channel"
        self.problem = problem or f"The bot cannot post in {self.where} ({reason})."
        self.fix = fix or f"Check that the bot may post in {self.where}"


class OutboxUnreadable(Exception):
    """The bot cannot look at a target's recent messages (``missing``: the permissions it lacks, if known).

    Worded by the adapter in its platform's terms: ``where`` (the channel as a mention there), ``lacks``
    (what the bot lacks, when known: "it lacks Read Message History there") and ``fix`` (how an organiser
    lets it look next time). Without them, the problem it leads to says only what is the same everywhere.
    """

    def __init__(
        self,
        reason: str,
        *,
        missing: Permission | None = None,
        where: str | None = None,
        lacks: str | None = None,
        fix: str | None = None,
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.missing = missing
        self.where = where
        self.lacks = lacks
        self.fix = fix


class ReminderSender(Protocol):
    """How the service reaches a platform (cogs/_discord, slack_app/_adapters; handed over at construction).

    Each send sends one message with ``nonce`` and returns its id, or raises DeliveryRefused (do not retry) or
    DeliveryFailed (retry later). Whether the platform drops a resend that carries the same nonce is the
    platform's to say (``drops_resends``): the service never asks which platform it serves.

    A community's reminders reach its own places only: every call names the community (the message's
    ``community_id``, or ``community_id`` for a look), the core routes it to that community's platform, and the
    sender refuses a channel that is not the community's own (another community's, or another platform's id, which
    a copied database can store) with ChannelRefused, ``foreign`` set, posting nothing.
    """

    def drops_resends(self, target_id: int) -> bool:
        """Whether the platform that carries messages to this target (a channel, or a member's DMs) drops a
        resend carrying the same nonce within NONCE_WINDOW of the first send: Discord does (``enforce_nonce``),
        Slack does not (it has no nonce). Where it does not, a send whose outcome the bot cannot check is never
        sent again blind: a second copy would reach the members."""
        ...

    async def send_to_channel(self, channel_id: int, message: OutgoingMessage, *, nonce: str) -> int: ...

    async def send_to_member(self, user_id: int, message: OutgoingMessage, *, nonce: str) -> int: ...

    async def find_in_channel(
        self, channel_id: int, *, community_id: int, nonce: str, digest: str, after: int | None
    ) -> int | None:
        """The id of a message the bot posted in the community's channel after message ``after`` with this
        ``nonce`` or whose text has this ``content_digest``; None if there is none (and for a channel not the
        community's own, where the bot never posts). Raises OutboxUnreadable."""
        ...

    async def find_in_dms(
        self, user_id: int, *, community_id: int, nonce: str, digest: str, after: int | None
    ) -> int | None:
        """The same in the bot's DMs with a member of the community."""
        ...


def content_digest(content: str) -> str:
    """Identifies a message's text (Discord trims it), for the outbox check: fetched messages carry no nonce."""
    return hashlib.sha256(content.strip().encode()).hexdigest()
