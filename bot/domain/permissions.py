"""What each feature needs from Discord: one table read by the preflight check, /setup's health section,
the bot's own checks before it acts, and the invite URL.

Bits and names are Discord's (developers/topics/permissions.mdx, "Permissions" > "Bitwise Permission Flags").
Pure: no discord import, so the CLI, the services and the tests all read the same table.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from urllib.parse import urlencode


class Permission(enum.IntFlag):
    """The permission bits the bot ever needs, with Discord's values."""

    VIEW_CHANNEL = 1 << 10
    SEND_MESSAGES = 1 << 11
    EMBED_LINKS = 1 << 14
    ATTACH_FILES = 1 << 15
    READ_MESSAGE_HISTORY = 1 << 16
    MENTION_EVERYONE = 1 << 17
    MANAGE_EVENTS = 1 << 33
    MANAGE_THREADS = 1 << 34
    CREATE_PUBLIC_THREADS = 1 << 35
    SEND_MESSAGES_IN_THREADS = 1 << 38
    CREATE_EVENTS = 1 << 44

    @property
    def label(self) -> str:
        """The name Discord's server settings show: ``Send Messages in Threads``."""
        return " and ".join(_LABELS[flag] for flag in self._flags())

    def _flags(self) -> list[Permission]:
        return [flag for flag in Permission if flag in self]


_LABELS: dict[Permission, str] = {
    Permission.VIEW_CHANNEL: "View Channel",
    Permission.SEND_MESSAGES: "Send Messages",
    Permission.EMBED_LINKS: "Embed Links",
    Permission.ATTACH_FILES: "Attach Files",
    Permission.READ_MESSAGE_HISTORY: "Read Message History",
    Permission.MENTION_EVERYONE: "Mention @everyone, @here, and All Roles",
    Permission.MANAGE_EVENTS: "Manage Events",
    Permission.MANAGE_THREADS: "Manage Threads",
    Permission.CREATE_PUBLIC_THREADS: "Create Public Threads",
    Permission.SEND_MESSAGES_IN_THREADS: "Send Messages in Threads",
    Permission.CREATE_EVENTS: "Create Events",
}

ADMINISTRATOR = 1 << 3


class Place(enum.Enum):
    """Where a feature's permissions are needed."""

    REMINDER_CHANNEL = "reminder channel"
    DISCUSSION_TEXT = "discussion channel (text)"
    DISCUSSION_FORUM = "discussion channel (forum)"
    SERVER = "server"


@dataclass(frozen=True, slots=True)
class FeatureNeed:
    feature: str
    place: Place
    permissions: Permission
    why: str
    required: bool = True  # False: the feature works without it, less well
    # The /setup switch (a ServerSettings field) that turns the feature on; None: always on. A feature that
    # is off needs nothing (the preflight check and the health section skip it).
    only_if: str | None = None


FEATURE_PERMISSIONS: tuple[FeatureNeed, ...] = (
    FeatureNeed(
        "reminders",
        Place.REMINDER_CHANNEL,
        Permission.VIEW_CHANNEL | Permission.SEND_MESSAGES | Permission.EMBED_LINKS,
        "to post session reminders and retention notices",
    ),
    FeatureNeed(
        "reminders",
        Place.REMINDER_CHANNEL,
        Permission.READ_MESSAGE_HISTORY,
        "to check, after a restart, whether a reminder it was sending when it stopped was already posted "
        "(without it, the reminder is sent again only within the few minutes Discord drops a repeat by its nonce, "
        "and otherwise given up)",
    ),
    FeatureNeed(
        "threads",
        Place.DISCUSSION_TEXT,
        Permission.VIEW_CHANNEL
        | Permission.SEND_MESSAGES
        | Permission.EMBED_LINKS
        | Permission.CREATE_PUBLIC_THREADS
        | Permission.SEND_MESSAGES_IN_THREADS
        | Permission.READ_MESSAGE_HISTORY,
        "to open a thread per prompt, post in it, and read the replies back after a restart",
    ),
    FeatureNeed(
        "threads",
        Place.DISCUSSION_FORUM,
        Permission.VIEW_CHANNEL
        | Permission.SEND_MESSAGES
        | Permission.EMBED_LINKS
        | Permission.SEND_MESSAGES_IN_THREADS
        | Permission.READ_MESSAGE_HISTORY,
        "to open a post per prompt, post in it, and read the replies back after a restart",
    ),
    FeatureNeed(
        "threads",
        Place.DISCUSSION_TEXT,
        Permission.MANAGE_THREADS,
        "to lock threads when /threads close ends them (without it they are archived, not locked)",
        required=False,
    ),
    FeatureNeed(
        "threads",
        Place.DISCUSSION_FORUM,
        Permission.MANAGE_THREADS,
        "to lock posts when /threads close ends them (without it they are archived, not locked)",
        required=False,
    ),
    # Guild-level, as developers/resources/guild-scheduled-event.mdx, "Guild Scheduled Event Permissions
    # Requirements", says for EXTERNAL events.
    FeatureNeed(
        "events",
        Place.SERVER,
        Permission.CREATE_EVENTS | Permission.MANAGE_EVENTS,
        "to show each session in the server's Events list, keep it in step with the programme and put back "
        "edits made by hand",
        only_if="events_enabled",
    ),
)


def needs_for(
    place: Place, *, required_only: bool = False, switched_on: frozenset[str] | None = None
) -> list[FeatureNeed]:
    """The needs at ``place``; with ``switched_on`` (the names of the /setup switches that are on), only those of
    features in use."""
    return [
        need
        for need in FEATURE_PERMISSIONS
        if need.place is place
        and (need.required or not required_only)
        and (switched_on is None or need.only_if is None or need.only_if in switched_on)
    ]


def missing(needed: Permission, granted: int) -> Permission:
    """The needed bits not granted (none when the bot is an Administrator there)."""
    if granted & ADMINISTRATOR:
        return Permission(0)
    return Permission(needed & ~granted)


def invite_permissions(needs: tuple[FeatureNeed, ...] = FEATURE_PERMISSIONS) -> int:
    """Every permission any feature needs, for the invite link."""
    total = 0
    for need in needs:
        total |= need.permissions
    return total


def invite_url(application_id: int, permissions: int | None = None, *, guild_id: int | None = None) -> str:
    """Discord's OAuth2 bot authorisation URL (developers/topics/oauth2.mdx, "Bot Authorization Flow").

    With ``guild_id`` the server is chosen in the dialog and cannot be changed ("Bot Auth Parameters").
    """
    params = {
        "client_id": str(application_id),
        "scope": "bot applications.commands",
        "permissions": str(invite_permissions() if permissions is None else permissions),
    }
    if guild_id is not None:
        params |= {"guild_id": str(guild_id), "disable_guild_select": "true"}
    return f"https://discord.com/oauth2/authorize?{urlencode(params)}"
