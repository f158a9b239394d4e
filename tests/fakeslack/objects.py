"""The objects of the workspace as Slack describes them (docs.slack.dev/reference/objects/*): users,
conversations, messages, user groups, files and views, each with the dict the Web API returns for it."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .world import World

JSON = dict[str, Any]

TEAM_ID = "T0000FAKE01"
TEAM_NAME = "Workshop"
TEAM_DOMAIN = "workshop-fake"
APP_ID = "A0000FAKE01"
BOT_ID = "B0000FAKE01"


@dataclass
class User:
    id: str
    name: str
    real_name: str
    display_name: str = ""
    is_admin: bool = False
    is_owner: bool = False
    is_primary_owner: bool = False
    is_bot: bool = False
    deleted: bool = False
    tz: str = "Europe/London"
    tz_label: str = "Greenwich Mean Time"
    tz_offset: int = 0
    bot_id: str | None = None

    def to_dict(self) -> JSON:
        """A user object (docs.slack.dev/reference/objects/user-object), the fields users.info returns."""
        profile: JSON = {
            "real_name": self.real_name,
            "display_name": self.display_name,
            "real_name_normalized": self.real_name,
            "display_name_normalized": self.display_name,
            "team": TEAM_ID,
            "avatar_hash": "",
            "title": "",
            "phone": "",
            "skype": "",
            "first_name": self.real_name.split(" ")[0],
            "last_name": " ".join(self.real_name.split(" ")[1:]),
            "status_text": "",
            "status_emoji": "",
            "status_expiration": 0,
            "fields": None,
            "image_24": "https://a.slack-edge.com/avatar-24.png",
            "image_32": "https://a.slack-edge.com/avatar-32.png",
            "image_48": "https://a.slack-edge.com/avatar-48.png",
            "image_72": "https://a.slack-edge.com/avatar-72.png",
            "image_192": "https://a.slack-edge.com/avatar-192.png",
            "image_512": "https://a.slack-edge.com/avatar-512.png",
        }
        if self.bot_id:
            profile["bot_id"] = self.bot_id
            profile["api_app_id"] = APP_ID
        data: JSON = {
            "id": self.id,
            "team_id": TEAM_ID,
            "name": self.name,
            "deleted": self.deleted,
            "color": "9f69e7",
            "real_name": self.real_name,
            "tz": self.tz,
            "tz_label": self.tz_label,
            "tz_offset": self.tz_offset,
            "profile": profile,
            "is_admin": self.is_admin,
            "is_owner": self.is_owner,
            "is_primary_owner": self.is_primary_owner,
            "is_restricted": False,
            "is_ultra_restricted": False,
            "is_bot": self.is_bot,
            "is_app_user": False,
            "updated": 1700000000,
        }
        return data


@dataclass
class Channel:
    id: str
    name: str
    is_private: bool = False
    is_im: bool = False
    im_user: str | None = None
    members: set[str] = field(default_factory=set)
    created: int = 1700000000
    is_archived: bool = False

    @property
    def kind(self) -> str:
        """The conversation type, as scopes are named: channels, groups (private), im."""
        return "im" if self.is_im else ("groups" if self.is_private else "channels")

    def to_dict(self, viewer: str) -> JSON:
        """A conversation object (docs.slack.dev/reference/objects/conversation-object) as ``viewer`` sees it."""
        if self.is_im:
            return {
                "id": self.id,
                "created": self.created,
                "is_im": True,
                "is_org_shared": False,
                "user": self.im_user,
                "is_user_deleted": False,
                "priority": 0,
            }
        return {
            "id": self.id,
            "name": self.name,
            "is_channel": not self.is_private,
            "is_group": self.is_private,
            "is_im": False,
            "is_mpim": False,
            "is_private": self.is_private,
            "created": self.created,
            "is_archived": self.is_archived,
            "is_general": self.name == "general",
            "unlinked": 0,
            "name_normalized": self.name,
            "is_shared": False,
            "is_org_shared": False,
            "is_pending_ext_shared": False,
            "pending_shared": [],
            "context_team_id": TEAM_ID,
            "parent_conversation": None,
            "creator": "",
            "is_ext_shared": False,
            "shared_team_ids": [TEAM_ID],
            "is_member": viewer in self.members,
            "topic": {"value": "", "creator": "", "last_set": 0},
            "purpose": {"value": "", "creator": "", "last_set": 0},
            "previous_names": [],
            "num_members": len(self.members),
        }


@dataclass
class Message:
    channel: str
    ts: str
    user: str
    text: str = ""
    blocks: list[JSON] | None = None
    thread_ts: str | None = None
    metadata: JSON | None = None
    bot_id: str | None = None
    subtype: str | None = None
    files: list[str] = field(default_factory=list)
    edited: JSON | None = None
    reply_broadcast: bool = False
    #: An ephemeral message is seen by this user only and never stored in history (chat.postEphemeral).
    ephemeral_to: str | None = None
    #: Where a message came from: "api" (the bot), "member" (the driver), "response_url", "ack".
    via: str = "api"
    replies: list[str] = field(default_factory=list)
    deleted: bool = False
    #: Slack clients tag members' messages with a uuid (message object "client_msg_id").
    client_msg_id: str | None = None

    @property
    def is_reply(self) -> bool:
        return self.thread_ts is not None and self.thread_ts != self.ts

    def to_dict(self, world: World, *, include_metadata: bool = True) -> JSON:
        """A message object (docs.slack.dev/reference/objects/message-object)."""
        data: JSON = {"type": "message", "ts": self.ts, "text": self.text, "team": TEAM_ID}
        if self.subtype:
            data["subtype"] = self.subtype
        elif self.is_reply and self.reply_broadcast:
            data["subtype"] = "thread_broadcast"  # reference/events/message/thread_broadcast
        if self.client_msg_id:
            data["client_msg_id"] = self.client_msg_id
        data["user"] = self.user
        if self.bot_id:
            data["bot_id"] = self.bot_id
            data["app_id"] = APP_ID
        if self.blocks is not None:
            data["blocks"] = self.blocks
        if self.thread_ts is not None:
            data["thread_ts"] = self.thread_ts
            if self.is_reply:
                data["parent_user_id"] = world.messages[self.channel][self.thread_ts].user
        if self.replies:
            live = [world.messages[self.channel][r] for r in self.replies]
            live = [m for m in live if not m.deleted]
            data["reply_count"] = len(live)
            data["reply_users_count"] = len({m.user for m in live})
            data["reply_users"] = sorted({m.user for m in live})
            data["latest_reply"] = live[-1].ts if live else self.ts
        if self.metadata is not None and include_metadata:
            data["metadata"] = self.metadata
        if self.files:
            data["files"] = [world.files[f].to_dict(world.file_host) for f in self.files]
            data["upload"] = True
        if self.edited is not None:
            data["edited"] = self.edited
        return data


@dataclass
class UserGroup:
    id: str
    handle: str
    name: str
    users: list[str] = field(default_factory=list)
    date_delete: int = 0
    created_by: str = ""

    def to_dict(self, *, include_users: bool = False) -> JSON:
        """A user group object (docs.slack.dev/reference/objects/usergroup-object)."""
        data: JSON = {
            "id": self.id,
            "team_id": TEAM_ID,
            "is_usergroup": True,
            "is_subteam": True,
            "name": self.name,
            "description": "",
            "handle": self.handle,
            "is_external": False,
            "date_create": 1700000000,
            "date_update": 1700000000,
            "date_delete": self.date_delete,
            "auto_type": None,
            "auto_provision": False,
            "enterprise_subteam_id": "",
            "created_by": self.created_by,
            "updated_by": self.created_by,
            "deleted_by": None,
            "prefs": {"channels": [], "groups": []},
            "user_count": len(self.users),
        }
        if include_users:
            data["users"] = list(self.users)
        return data


@dataclass
class File:
    id: str
    filename: str
    length: int
    user: str
    title: str = ""
    alt_txt: str | None = None
    data: bytes | None = None
    completed: bool = False
    shares: list[str] = field(default_factory=list)
    created: int = field(default_factory=lambda: int(time.time()))

    def to_dict(self, host: str = "https://files.slack.com") -> JSON:
        """A file object (docs.slack.dev/reference/objects/file-object), the public part. ``host`` serves
        ``url_private``/``url_private_download`` (the fake's own address in tests)."""
        return {
            "id": self.id,
            "created": self.created,
            "timestamp": self.created,
            "name": self.filename,
            "title": self.title or self.filename,
            "mimetype": "application/octet-stream",
            "filetype": self.filename.rsplit(".", 1)[-1] if "." in self.filename else "binary",
            "pretty_type": "File",
            "user": self.user,
            "user_team": TEAM_ID,
            "editable": False,
            "size": self.length,
            "mode": "hosted",
            "is_external": False,
            "external_type": "",
            "is_public": False,
            "public_url_shared": False,
            "display_as_bot": False,
            "username": "",
            "url_private": f"{host}/files-pri/{TEAM_ID}-{self.id}/{self.filename}",
            "url_private_download": f"{host}/files-pri/{TEAM_ID}-{self.id}/download/{self.filename}",
            "permalink": f"https://{TEAM_DOMAIN}.slack.com/files/{self.user}/{self.id}/{self.filename}",
            "comments_count": 0,
            "is_starred": False,
            "channels": [c for c in self.shares if c.startswith("C")],
            "groups": [c for c in self.shares if c.startswith("G")],
            "ims": [c for c in self.shares if c.startswith("D")],
            "has_rich_preview": False,
        }


@dataclass
class View:
    """A modal or Home tab (docs.slack.dev/surfaces/modals, /surfaces/app-home)."""

    id: str
    user: str
    spec: JSON
    hash: str
    root_view_id: str
    previous_view_id: str | None = None
    external_id: str | None = None
    #: Values the member typed, ``{block_id: {action_id: value_object}}`` (the ``state.values`` Slack sends).
    values: dict[str, dict[str, JSON]] = field(default_factory=dict)
    closed: bool = False
    #: Errors shown on the view (``response_action: errors``), ``{block_id: message}``.
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def type(self) -> str:
        return str(self.spec.get("type", ""))

    @property
    def callback_id(self) -> str:
        return str(self.spec.get("callback_id", ""))

    @property
    def blocks(self) -> list[JSON]:
        return list(self.spec.get("blocks", []))

    def to_dict(self) -> JSON:
        """A view object as views.* return it and payloads carry it (docs.slack.dev/reference/views)."""
        spec = self.spec
        data: JSON = {
            "id": self.id,
            "team_id": TEAM_ID,
            "type": self.type,
            "blocks": spec.get("blocks", []),
            "private_metadata": spec.get("private_metadata", ""),
            "callback_id": spec.get("callback_id", ""),
            "state": {"values": self.values},
            "hash": self.hash,
            "title": spec.get("title"),
            "clear_on_close": bool(spec.get("clear_on_close", False)),
            "notify_on_close": bool(spec.get("notify_on_close", False)),
            "close": spec.get("close"),
            "submit": spec.get("submit"),
            "previous_view_id": self.previous_view_id,
            "root_view_id": self.root_view_id,
            "app_id": APP_ID,
            "external_id": self.external_id or "",
            "app_installed_team_id": TEAM_ID,
            "bot_id": BOT_ID,
        }
        if self.type == "home":
            for key in ("title", "close", "submit"):
                data.pop(key)
        return data
