"""Events API events the fake sends the app (docs.slack.dev/reference/events/<name>).

Which events reach the app (docs.slack.dev/apis/events-api "Subscribing to event types" and each event page's
"Required scopes"): the app must subscribe to the event, and
- ``message.channels`` / ``message.groups`` / ``message.im`` need ``channels:history`` / ``groups:history`` /
  ``im:history``, and the bot must be a member of the conversation (the bot "must be in the channel" to get
  its messages, reference/events/message.channels);
- ``app_home_opened`` needs no scope (reference/events/app_home_opened);
- ``member_joined_channel`` needs ``channels:read`` or ``groups:read``, for channels the bot is in;
- ``app_uninstalled`` and ``tokens_revoked`` need none.

The bot's own posts come back as ``message`` events too (with ``bot_id``), as on Slack; bolt ignores them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import payloads
from .world import JSON, TEAM_ID, Channel, Message

if TYPE_CHECKING:
    from .core import FakeCore
    from .socket import Envelope

DEFAULT_SUBSCRIPTIONS = frozenset(
    {
        "message.channels",
        "message.groups",
        "message.im",
        "app_home_opened",
        "member_joined_channel",
        "app_uninstalled",
        "tokens_revoked",
    }
)

_HISTORY_SCOPE = {"channels": "channels:history", "groups": "groups:history", "im": "im:history"}


class EventSender:
    def __init__(self, core: FakeCore) -> None:
        self.core = core
        self.subscriptions: set[str] = set(DEFAULT_SUBSCRIPTIONS)
        #: Every event the fake sent, with its envelope (``(event, envelope)``).
        self.sent: list[tuple[JSON, Envelope]] = []
        #: Slack sends an app its own messages as events too (bolt drops them); a benchmark may turn that off.
        self.echo_own_messages = True

    def emit(self, event: JSON) -> Envelope | None:
        sockets = self.core.sockets
        if sockets is None:
            return None
        outer = payloads.event_callback(self.core.world, event)
        envelope = sockets.send("events_api", outer, accepts_response_payload=False)
        self.sent.append((event, envelope))
        return envelope

    def _message_subscribed(self, channel: Channel) -> bool:
        name = f"message.{channel.kind}"
        if name not in self.subscriptions:
            return False
        if _HISTORY_SCOPE[channel.kind] not in self.core.bot_scopes:
            return False
        return self.core.world.bot.id in channel.members

    # ---- message events (reference/events/message and its subtypes) ---------------------------
    def message_posted(self, message: Message) -> Envelope | None:
        channel = self.core.world.channels[message.channel]
        if message.ephemeral_to is not None or not self._message_subscribed(channel):
            return None
        if message.user == self.core.world.bot.id and not self.echo_own_messages:
            return None
        event = message.to_dict(self.core.world)
        event["channel"] = channel.id
        event["channel_type"] = _channel_type(channel)
        event["event_ts"] = message.ts
        return self.emit(event)

    def message_changed(self, message: Message, previous: JSON) -> Envelope | None:
        """reference/events/message/message_changed: ``hidden: true``, ``message`` (new) and ``previous_message``."""
        channel = self.core.world.channels[message.channel]
        if not self._message_subscribed(channel):
            return None
        ts = self.core.world.new_ts()
        event: JSON = {
            "type": "message",
            "subtype": "message_changed",
            "hidden": True,
            "channel": channel.id,
            "channel_type": _channel_type(channel),
            "message": message.to_dict(self.core.world),
            "previous_message": previous,
            "ts": ts,
            "event_ts": ts,
        }
        return self.emit(event)

    def message_deleted(self, message: Message, previous: JSON) -> Envelope | None:
        """reference/events/message/message_deleted: ``hidden: true``, ``deleted_ts``, ``previous_message``."""
        channel = self.core.world.channels[message.channel]
        if not self._message_subscribed(channel):
            return None
        ts = self.core.world.new_ts()
        event: JSON = {
            "type": "message",
            "subtype": "message_deleted",
            "hidden": True,
            "channel": channel.id,
            "channel_type": _channel_type(channel),
            "ts": ts,
            "deleted_ts": message.ts,
            "event_ts": ts,
            "previous_message": previous,
        }
        if message.thread_ts is not None:
            event["thread_ts"] = message.thread_ts
        return self.emit(event)

    # ---- other events --------------------------------------------------------------------------
    def app_home_opened(self, user: str, tab: str = "home") -> Envelope | None:
        """reference/events/app_home_opened: user, channel (the app's DM with them), tab, and the published
        ``view`` when there is one."""
        if "app_home_opened" not in self.subscriptions:
            return None
        world = self.core.world
        dm = world.open_dm(user)
        ts = world.new_ts()
        event: JSON = {"type": "app_home_opened", "user": user, "channel": dm.id, "tab": tab, "event_ts": ts}
        view_id = world.home_views.get(user)
        if view_id is not None and tab == "home":
            event["view"] = world.views[view_id].to_dict()
        return self.emit(event)

    def member_joined_channel(self, user: str, channel: Channel, inviter: str | None = None) -> Envelope | None:
        """reference/events/member_joined_channel."""
        if "member_joined_channel" not in self.subscriptions or self.core.world.bot.id not in channel.members:
            return None
        if not {"channels:read", "groups:read"} & self.core.bot_scopes:
            return None
        event: JSON = {
            "type": "member_joined_channel",
            "user": user,
            "channel": channel.id,
            "channel_type": "G" if channel.is_private else "C",
            "team": TEAM_ID,
            "event_ts": self.core.world.new_ts(),
        }
        if inviter:
            event["inviter"] = inviter
        return self.emit(event)

    def app_uninstalled(self) -> Envelope | None:
        """reference/events/app_uninstalled."""
        return self.emit({"type": "app_uninstalled", "event_ts": self.core.world.new_ts()})

    def tokens_revoked(self) -> Envelope | None:
        """reference/events/tokens_revoked: ``tokens: {"oauth": [...], "bot": [...]}`` (user ids)."""
        return self.emit(
            {
                "type": "tokens_revoked",
                "tokens": {"oauth": [], "bot": [self.core.world.bot.id]},
                "event_ts": self.core.world.new_ts(),
            }
        )


def _channel_type(channel: Channel) -> str:
    """A message event's ``channel_type`` (reference/events/message): im, group (private) or channel."""
    return "im" if channel.is_im else ("group" if channel.is_private else "channel")
