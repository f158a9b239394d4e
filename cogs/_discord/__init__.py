"""How the bot meets Discord, in one place: the adapters the services reach Discord through.

- ``threads.DiscordThreadGateway``: the thread service's ``ThreadGateway`` (threads, starters, history);
- ``reminders.DiscordReminderSender``: the reminder service's ``ReminderSender`` (channel posts and DMs);
- ``names.DiscordDisplayNames``: the export service's ``DisplayNames`` (named exports);
- ``retention.RetentionNotices``: the retention service's ``RetentionNotifier``;
- ``welcome.WelcomeMessages``: the community service's ``WelcomePoster`` (one message on joining a server);
- ``permissions.GuildPlaces``: the settings service's ``CommunityPlaces`` (is a channel or role a server's own);
- ``session_events.DiscordScheduledEvents``: the session-event service's ``ScheduledEventPort`` (and
  ``follow_interest``, which reports Interested clicks to the ``cogs.session_events`` listener).

How they reach the services: one way, at construction. This package is a discord.py extension that
``WorkshopBot.setup_hook`` loads by name *before* it builds the services; its ``setup`` hands the adapters
to ``WorkshopBot.use_discord_adapters`` and setup_hook then passes each to its service's constructor. No
service has a setter, and no cog attaches or detaches anything later.

Why an extension loaded by name rather than an import or a factory: ``bot/`` (the composition root
included) may not import cog modules (tests/test_architecture.py), so the root cannot name these classes;
and a factory handed to ``WorkshopBot`` by the entry point would have to be passed by every place that
builds a bot (``bot.client.run``, the command line, the tests' harness), each of which lives in ``bot/`` or
would have to repeat the wiring. Loading an extension by name is discord.py's own seam for code the bot
does not import (see its examples/advanced_startup.py), keeps the wiring in this one module, and a missing
or broken adapters extension stops the start with a clear error instead of a bot that silently cannot send.

The extension also registers the persistent buttons every feature's messages carry (Answer, paging), which
must work on old messages from the start, before any feature cog loads.
"""

from __future__ import annotations

from bot.client import DiscordAdapters, WorkshopBot
from cogs._discord.names import DiscordDisplayNames
from cogs._discord.permissions import GuildPlaces
from cogs._discord.reminders import DiscordReminderSender
from cogs._discord.retention import RetentionNotices
from cogs._discord.session_events import DiscordScheduledEvents, follow_interest
from cogs._discord.threads import DiscordThreadGateway
from cogs._discord.welcome import WelcomeMessages
from cogs._views import AnswerButton, PageButton


async def setup(bot: WorkshopBot) -> None:
    bot.use_discord_adapters(
        DiscordAdapters(
            threads=DiscordThreadGateway(bot),
            reminders=DiscordReminderSender(bot),
            names=DiscordDisplayNames(bot),
            retention=RetentionNotices(bot),
            events=DiscordScheduledEvents(bot),
            welcome=WelcomeMessages(bot),
            places=GuildPlaces(bot),
        )
    )
    follow_interest(bot)
    bot.add_dynamic_items(AnswerButton, PageButton)  # persistent: they work on old messages after restarts


async def teardown(bot: WorkshopBot) -> None:
    bot.remove_dynamic_items(AnswerButton, PageButton)
