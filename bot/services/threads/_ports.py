"""What the threads service needs from Discord: ``ThreadGateway`` (implemented in cogs/_discord, handed over
at construction), the data it passes, and the errors it raises."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Protocol

from bot.domain.errors import UserFacingError
from bot.domain.permissions import Permission
from bot.domain.programme import Prompt, SessionRecord
from bot.domain.threads import ThreadCounts


class ChannelKind(Enum):
    TEXT = "text"
    FORUM = "forum"
    THREAD = "thread"
    OTHER = "other"  # voice, category, announcement...


@dataclass(frozen=True, slots=True)
class Starter:
    """What a thread's starter message shows: the whole prompt, its session, and the Answer button."""

    session: SessionRecord
    prompt: Prompt
    collect_replies: bool  # whether it tells members that replies are recorded as answers


@dataclass(frozen=True, slots=True)
class CreatedThread:
    thread_id: int
    starter_channel_id: int
    starter_message_id: int


@dataclass(frozen=True, slots=True)
class DiscordThreadState:
    archived: bool
    locked: bool


@dataclass(frozen=True, slots=True)
class Summary:
    """Posted in a thread when it closes: counts only, never names."""

    counts: ThreadCounts
    collect_replies: bool


@dataclass(frozen=True, slots=True)
class ThreadMessage:
    """A member's message read back from a thread's history."""

    id: int
    author_id: int
    text: str
    created_at: datetime
    edited_at: datetime | None


@dataclass(frozen=True, slots=True)
class ThreadHistory:
    messages: tuple[ThreadMessage, ...]  # members' messages after the starter, oldest first
    complete: bool  # False when the thread had more messages than were read


class CatchUpTrouble(Enum):
    """Why the catch-up could not trust a thread's history: the neutral fact each platform words its own way."""

    MISSING_PERMISSIONS = "missing-permissions"  # the bot may not read the channel's threads (``missing``)
    UNREADABLE = "unreadable"  # reading the history was refused (``error``: the adapter's own message)
    INCOMPLETE = "incomplete"  # the history left out replies that still exist


class ThreadsAction(Enum):
    """What /threads was asked to do when the bot lacked what it needs in the channel."""

    OPEN = "open"  # create a thread (or forum post) per prompt
    CLOSE = "close"  # post each thread's summary, then end it


class ThreadsRefusal(Enum):
    """Why /threads did nothing for a reason of the channel or the week (not of what the bot may do there): the
    neutral fact each platform words with its own kinds of channel and its own commands."""

    DISCUSSION_GONE = "discussion-gone"  # the discussion channel set no longer exists, or the bot cannot see it
    DISCUSSION_UNUSABLE = "discussion-unusable"  # the discussion channel set cannot hold threads
    IN_A_THREAD = "in-a-thread"  # no discussion channel set, and the command was run inside a thread
    NOT_HERE = "not-here"  # no discussion channel set, and the command's channel cannot hold threads
    NOTHING_TO_CLOSE = "nothing-to-close"  # the week has no threads to close


@dataclass(frozen=True, slots=True)
class ProblemWording:
    """A problem for organisers in a platform's own words: what is wrong, and how to fix it there."""

    text: str
    fix: str


class ThreadGoneError(Exception):
    """The thread (or channel) no longer exists: deleted by hand."""


class ThreadArchivedError(Exception):
    """Discord refused a post because the thread is archived (50083)."""


class ThreadLockedError(Exception):
    """Discord refused a post because the thread is locked (160005)."""


class BotLacksPermissionError(UserFacingError):
    """Discord refused an action for lack of a permission; the message says which."""


class ThreadGateway(Protocol):
    async def channel_kind(self, community_id: int, channel_id: int) -> ChannelKind | None:
        """What kind of channel this is, or None if it does not exist, the bot cannot see it, or it belongs
        to another community than ``community_id``."""
        ...

    async def create_thread(self, channel_id: int, name: str, starter: Starter) -> CreatedThread:
        """Post the starter message in a text channel and open a public thread from it."""
        ...

    async def create_forum_post(self, channel_id: int, name: str, starter: Starter) -> CreatedThread:
        """Open a forum post whose first message is the starter message."""
        ...

    async def thread_state(self, thread_id: int) -> DiscordThreadState:
        """Raises ThreadGoneError."""
        ...

    async def unarchive(self, thread_id: int, *, unlock: bool) -> None:
        """Raises ThreadGoneError, BotLacksPermissionError."""
        ...

    async def edit_starter(self, channel_id: int, message_id: int, starter: Starter) -> None:
        """Raises ThreadGoneError when the message is gone."""
        ...

    async def post_summary(self, thread_id: int, summary: Summary) -> None:
        """Raises ThreadArchivedError, ThreadLockedError, ThreadGoneError, BotLacksPermissionError."""
        ...

    async def lock_and_archive(self, thread_id: int) -> bool:
        """Lock and archive; if locking is not allowed, only archive and return False."""
        ...

    async def thread_history(self, thread_id: int, *, limit: int) -> ThreadHistory:
        """Members' messages in the thread, reading at most ``limit`` messages. Raises ThreadGoneError."""
        ...

    async def missing_permissions(self, channel_id: int, needed: Permission) -> Permission | None:
        """Which of ``needed`` the bot lacks in a channel or thread (threads: their parent's), from what
        Discord last told the bot; None when it cannot tell (the channel is not known to it)."""
        ...

    def reads_message_content(self, thread_id: int) -> bool:
        """Whether members' messages in this thread arrive with their text (Discord: the Message Content
        intent; the thread names the platform asked about)."""
        ...

    async def message_deleted(self, thread_id: int, message_id: int) -> bool:
        """True only when Discord says the message no longer exists (Unknown Message)."""
        ...

    def catch_up_problem(
        self,
        trouble: CatchUpTrouble,
        *,
        parent_id: int,
        thread_id: int,
        missing: Permission | None = None,
        error: str | None = None,
    ) -> ProblemWording:
        """How organisers read ``trouble`` on this platform: its channel references, its menus or its scopes.
        Every text ends by saying that no answer was removed."""
        ...

    def threads_refused(
        self, action: ThreadsAction, *, channel_id: int, missing: Permission, week: int, forum: bool = False
    ) -> str:
        """Why /threads ``action`` did nothing in ``channel_id`` (``missing``: what ``missing_permissions``
        reported), and how to fix it, in this platform's words: its permission names or its membership, and its
        command. Says that nothing was created (or closed)."""
        ...

    def threads_refusal(
        self, refusal: ThreadsRefusal, *, community_id: int, week: int, channel_id: int | None = None
    ) -> str:
        """Why /threads did nothing in ``community_id`` (``channel_id``: the discussion channel, for the two
        ``DISCUSSION_*`` refusals), and what to do instead, in this platform's words: its kinds of channel and its
        commands."""
        ...
