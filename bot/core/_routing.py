"""The ports the services are given: one small router per port, which hands each call to the adapter of the
platform that owns the id it is about (``platform_of``: a snowflake is Discord's, a negative id Slack's).

The services never ask which platform they serve: they are built once with these routers, and every front
end's adapters sit behind them (``PlatformAdapters``, one per platform, handed over at construction).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Generic, TypeVar

from bot.domain.permissions import Permission
from bot.domain.platform_ids import Platform, platform_of
from bot.domain.session_events import EventSpec, RemoteEvent
from bot.services.communities import WelcomePoster
from bot.services.exports import DisplayNames
from bot.services.reminders import OutgoingMessage, ReminderSender
from bot.services.retention import RetentionNotifier
from bot.services.server_settings import CommunityPlaces
from bot.services.session_events import EventsUnavailable, ScheduledEventPort
from bot.services.threads import (
    CatchUpTrouble,
    ChannelKind,
    CreatedThread,
    DiscordThreadState,
    ProblemWording,
    Starter,
    Summary,
    ThreadGateway,
    ThreadHistory,
    ThreadsAction,
    ThreadsRefusal,
)

P = TypeVar("P")


@dataclass(frozen=True)
class PlatformAdapters:
    """How the services reach one platform: one adapter per service port, handed over at construction."""

    threads: ThreadGateway
    reminders: ReminderSender
    names: DisplayNames
    retention: RetentionNotifier
    welcome: WelcomePoster
    events: ScheduledEventPort | None = None  # None: the platform has no scheduled events (Slack)
    places: CommunityPlaces | None = None  # whose channels and roles are whose (None: ids taken as stored)


class PlatformNotAttachedError(LookupError):
    """An id of a platform no front end of this process serves (a bug, or a community of another process)."""


class _Routes(Generic[P]):
    def __init__(self, ports: Mapping[Platform, P]) -> None:
        self._ports = dict(ports)

    def __call__(self, platform_id: int) -> P:
        platform = platform_of(platform_id)
        port = self._ports.get(platform)
        if port is None:
            raise PlatformNotAttachedError(f"no {platform} front end is attached to this process")
        return port

    @property
    def platforms(self) -> frozenset[Platform]:
        return frozenset(self._ports)


class ThreadRouter:
    """``ThreadGateway``, by the channel, thread or community id of each call."""

    def __init__(self, ports: Mapping[Platform, ThreadGateway]) -> None:
        self._to = _Routes(ports)

    async def channel_kind(self, community_id: int, channel_id: int) -> ChannelKind | None:
        return await self._to(community_id).channel_kind(community_id, channel_id)

    async def create_thread(self, channel_id: int, name: str, starter: Starter) -> CreatedThread:
        return await self._to(channel_id).create_thread(channel_id, name, starter)

    async def create_forum_post(self, channel_id: int, name: str, starter: Starter) -> CreatedThread:
        return await self._to(channel_id).create_forum_post(channel_id, name, starter)

    async def thread_state(self, thread_id: int) -> DiscordThreadState:
        return await self._to(thread_id).thread_state(thread_id)

    async def unarchive(self, thread_id: int, *, unlock: bool) -> None:
        await self._to(thread_id).unarchive(thread_id, unlock=unlock)

    async def edit_starter(self, channel_id: int, message_id: int, starter: Starter) -> None:
        await self._to(channel_id).edit_starter(channel_id, message_id, starter)

    async def post_summary(self, thread_id: int, summary: Summary) -> None:
        await self._to(thread_id).post_summary(thread_id, summary)

    async def lock_and_archive(self, thread_id: int) -> bool:
        return await self._to(thread_id).lock_and_archive(thread_id)

    async def thread_history(self, thread_id: int, *, limit: int) -> ThreadHistory:
        return await self._to(thread_id).thread_history(thread_id, limit=limit)

    async def missing_permissions(self, channel_id: int, needed: Permission) -> Permission | None:
        return await self._to(channel_id).missing_permissions(channel_id, needed)

    def reads_message_content(self, thread_id: int) -> bool:
        return self._to(thread_id).reads_message_content(thread_id)

    async def message_deleted(self, thread_id: int, message_id: int) -> bool:
        return await self._to(thread_id).message_deleted(thread_id, message_id)

    def catch_up_problem(
        self,
        trouble: CatchUpTrouble,
        *,
        parent_id: int,
        thread_id: int,
        missing: Permission | None = None,
        error: str | None = None,
    ) -> ProblemWording:
        return self._to(parent_id).catch_up_problem(
            trouble, parent_id=parent_id, thread_id=thread_id, missing=missing, error=error
        )

    def threads_refused(
        self, action: ThreadsAction, *, channel_id: int, missing: Permission, week: int, forum: bool = False
    ) -> str:
        return self._to(channel_id).threads_refused(
            action, channel_id=channel_id, missing=missing, week=week, forum=forum
        )

    def threads_refusal(
        self, refusal: ThreadsRefusal, *, community_id: int, week: int, channel_id: int | None = None
    ) -> str:
        return self._to(community_id).threads_refusal(
            refusal, community_id=community_id, week=week, channel_id=channel_id
        )


class ReminderRouter:
    """``ReminderSender``, by the community each message is for: its own platform judges the channel or member (a
    stored channel of another platform is refused there, never posted by the other platform's sender)."""

    def __init__(self, ports: Mapping[Platform, ReminderSender]) -> None:
        self._to = _Routes(ports)

    def drops_resends(self, target_id: int) -> bool:
        return self._to(target_id).drops_resends(target_id)

    async def send_to_channel(self, channel_id: int, message: OutgoingMessage, *, nonce: str) -> int:
        return await self._to(_community(message)).send_to_channel(channel_id, message, nonce=nonce)

    async def send_to_member(self, user_id: int, message: OutgoingMessage, *, nonce: str) -> int:
        return await self._to(_community(message)).send_to_member(user_id, message, nonce=nonce)

    async def find_in_channel(
        self, channel_id: int, *, community_id: int, nonce: str, digest: str, after: int | None
    ) -> int | None:
        return await self._to(community_id).find_in_channel(
            channel_id, community_id=community_id, nonce=nonce, digest=digest, after=after
        )

    async def find_in_dms(
        self, user_id: int, *, community_id: int, nonce: str, digest: str, after: int | None
    ) -> int | None:
        return await self._to(community_id).find_in_dms(
            user_id, community_id=community_id, nonce=nonce, digest=digest, after=after
        )


def _community(message: OutgoingMessage) -> int:
    """Whose message: every reminder names its community (the service composes it so); one that does not is a bug,
    refused rather than sent wherever its target's id points."""
    if message.community_id is None:
        raise ValueError("a reminder must name its community to be sent")
    return message.community_id


class NamesRouter:
    """``DisplayNames``, by community."""

    def __init__(self, ports: Mapping[Platform, DisplayNames]) -> None:
        self._to = _Routes(ports)

    async def display_names(self, community_id: int, user_ids: Sequence[int]) -> Mapping[int, str]:
        return await self._to(community_id).display_names(community_id, user_ids)


class RetentionRouter:
    """``RetentionNotifier``, by community: the community's own platform judges the channel (a stored channel of
    another platform is refused there, never posted by the other platform's adapter)."""

    def __init__(self, ports: Mapping[Platform, RetentionNotifier]) -> None:
        self._to = _Routes(ports)

    async def retention_warning(
        self,
        community_id: int,
        channel_id: int,
        organiser_role_id: int | None,
        deletes_at: datetime,
        retention: timedelta,
    ) -> None:
        await self._to(community_id).retention_warning(
            community_id, channel_id, organiser_role_id, deletes_at, retention
        )

    async def retention_done(self, community_id: int, channel_id: int, deleted: int) -> None:
        await self._to(community_id).retention_done(community_id, channel_id, deleted)


class WelcomeRouter:
    """``WelcomePoster``, by community."""

    def __init__(self, ports: Mapping[Platform, WelcomePoster]) -> None:
        self._to = _Routes(ports)

    async def post_welcome(self, community_id: int) -> bool:
        return await self._to(community_id).post_welcome(community_id)


class NoScheduledEvents:
    """The events port of a platform without scheduled events: it cannot tell, and it lists nothing."""

    REASON = "this platform has no scheduled events"

    def missing_permissions(self, community_id: int, needed: Permission) -> Permission | None:
        return None

    async def list_events(self, community_id: int) -> list[RemoteEvent]:
        raise EventsUnavailable(self.REASON)

    async def create(self, community_id: int, spec: EventSpec) -> int:
        raise EventsUnavailable(self.REASON)

    async def update(self, community_id: int, event_id: int, spec: EventSpec) -> None:
        raise EventsUnavailable(self.REASON)

    async def cancel(self, community_id: int, event_id: int) -> None:
        raise EventsUnavailable(self.REASON)

    async def interested(self, community_id: int, event_id: int) -> list[int]:
        return []


class EventsRouter:
    """``ScheduledEventPort``, by community (``NoScheduledEvents`` for a platform without them)."""

    def __init__(self, ports: Mapping[Platform, ScheduledEventPort]) -> None:
        self._to = _Routes(ports)

    def missing_permissions(self, community_id: int, needed: Permission) -> Permission | None:
        return self._to(community_id).missing_permissions(community_id, needed)

    async def list_events(self, community_id: int) -> list[RemoteEvent]:
        return await self._to(community_id).list_events(community_id)

    async def create(self, community_id: int, spec: EventSpec) -> int:
        return await self._to(community_id).create(community_id, spec)

    async def update(self, community_id: int, event_id: int, spec: EventSpec) -> None:
        await self._to(community_id).update(community_id, event_id, spec)

    async def cancel(self, community_id: int, event_id: int) -> None:
        await self._to(community_id).cancel(community_id, event_id)

    async def interested(self, community_id: int, event_id: int) -> list[int]:
        return await self._to(community_id).interested(community_id, event_id)


class PlacesRouter:
    """``CommunityPlaces``, by community; a platform without one cannot tell (None)."""

    def __init__(self, ports: Mapping[Platform, CommunityPlaces | None]) -> None:
        self._ports = dict(ports)

    def _port(self, community_id: int) -> CommunityPlaces | None:
        return self._ports.get(platform_of(community_id))

    def channel_is_own(self, community_id: int, channel_id: int) -> bool | None:
        port = self._port(community_id)
        return None if port is None else port.channel_is_own(community_id, channel_id)

    def role_is_own(self, community_id: int, role_id: int) -> bool | None:
        port = self._port(community_id)
        return None if port is None else port.role_is_own(community_id, role_id)


@dataclass(frozen=True)
class Routers:
    """The ports the services are built with."""

    threads: ThreadRouter
    reminders: ReminderRouter
    names: NamesRouter
    retention: RetentionRouter
    welcome: WelcomeRouter
    events: EventsRouter
    places: PlacesRouter


def routers_for(adapters: Mapping[Platform, PlatformAdapters]) -> Routers:
    return Routers(
        threads=ThreadRouter({p: a.threads for p, a in adapters.items()}),
        reminders=ReminderRouter({p: a.reminders for p, a in adapters.items()}),
        names=NamesRouter({p: a.names for p, a in adapters.items()}),
        retention=RetentionRouter({p: a.retention for p, a in adapters.items()}),
        welcome=WelcomeRouter({p: a.welcome for p, a in adapters.items()}),
        events=EventsRouter({p: a.events or NoScheduledEvents() for p, a in adapters.items()}),
        places=PlacesRouter({p: a.places for p, a in adapters.items()}),
    )
