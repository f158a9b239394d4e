"""A local fake Discord for testing an unmodified discord.py bot.

Overview
--------
* :class:`FakeDiscord` (``server.py``, a facade over ``core.py``, ``transport.py``, ``rest/``, ``payloads.py``,
  ``gateway.py`` and ``driver/``) serves Discord's REST API under ``http://127.0.0.1:PORT/api/v10``
  and a JSON gateway at ``ws://127.0.0.1:PORT/gateway``. Point discord.py at it with
  :meth:`FakeDiscord.patch_discord` (sets ``discord.http.Route.BASE`` and
  ``discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY``) or run a bot with :meth:`FakeDiscord.run_bot`.
* :class:`World` (``world.py``) is the guild, roles, channels, members, threads, DMs and messages.
* Act as members: ``slash``, ``autocomplete``, ``click``, ``submit_modal``,
  ``post_message``, ``send_dm``, ``create_thread`` ... each returning handles or world objects.
* :class:`Interaction` handles record what the bot answered (``await i.response()``, ``await i.final()``).
* Every request is recorded (``fake.requests``) and validated against Discord's OpenAPI spec at teardown
  by the ``fake_discord`` fixture (``pytest_plugin.py``).
"""

from __future__ import annotations

from .gateway import Intents
from .interactions import (
    CallbackType,
    Interaction,
    InteractionCallback,
    InteractionType,
    Modal,
    ModalField,
    OptionType,
)
from .openapi_check import SpecChecker, find_spec, get_checker
from .records import ApiError, FaultRule, RecordedEvent, RecordedRequest, Stats, UploadedFile
from .server import FakeDiscord
from .world import (
    APPLICATION_ID,
    BOT_USER_ID,
    GUILD_ID,
    Attachment,
    Channel,
    ChannelType,
    Guild,
    GuildRef,
    Member,
    Message,
    Perm,
    Role,
    User,
    World,
)

__all__ = [
    "APPLICATION_ID",
    "BOT_USER_ID",
    "GUILD_ID",
    "ApiError",
    "Attachment",
    "CallbackType",
    "Channel",
    "ChannelType",
    "FakeDiscord",
    "FaultRule",
    "Guild",
    "GuildRef",
    "Intents",
    "Interaction",
    "InteractionCallback",
    "InteractionType",
    "Member",
    "Message",
    "Modal",
    "ModalField",
    "OptionType",
    "Perm",
    "RecordedEvent",
    "RecordedRequest",
    "Role",
    "SpecChecker",
    "Stats",
    "UploadedFile",
    "User",
    "World",
    "find_spec",
    "get_checker",
]
