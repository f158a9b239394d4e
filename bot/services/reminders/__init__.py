"""Plan and send the reminders before each session, once each, on time, across restarts.

How it fits together:

- The plan (``bot.domain.reminders``) says which reminders exist and, at a given instant, whether each is
  to wait, to be sent, or to be skipped (the catch-up rules after the bot was down).
- The ledger (``bot.storage.reminders``) records every (reminder, target) and its state. A delivery is
  claimed before it is sent and marked after, so a reminder is never sent twice by this process and never
  forgotten: rows a crash left claimed are settled by the outbox check (looked for among the target's messages:
  found, recorded as sent; not found, sent again). Where the bot cannot look, it resends blind only if the
  platform drops a resend with the same nonce (``ReminderSender.drops_resends``: Discord, not Slack).
- APScheduler only wakes the service up: one date job (``reminders:wake``, ``_wakeups``) at the earliest time
  a waiting reminder falls due among the communities this process serves, re-armed when a plan changes, and
  a sweep every ``sweep_interval`` seconds, which re-plans and sends whatever is due whatever happened to the
  job (a blocked loop, a restart, a clock jump). The process keeps one entry per community with a waiting
  reminder, never one per reminder. What is due is always decided with the injected clock, never by
  APScheduler.
- A worker task runs the passes, several communities at once: re-plan the ledger, re-arm the wake-up, write
  the DM rows of the reminders that are due, then the channel post and the DMs. Every request to the platform
  goes through one critical section, the pacer (``_sending`` and the throttle), which holds nothing but the
  paced request: each delivery is claimed before its turn and marked after, so the pacer never waits for the
  database (``PacerFeed`` counts the turns it did). A member
  whose DMs turned out to be closed is told privately the next time they use the bot
  (``take_dms_closed_notice``), never in a channel.

DM rows: when a reminder becomes due it gets a row for each member subscribed at its due time, so a
member who turns DMs on after a reminder went out gets the next one, and turning them off drops the DMs
not sent yet.

Start-up, the sweep and many servers arriving at once (a shard's ready) plan the communities that only need a new
plan a chunk at a time, with a few set-based reads and one write transaction a chunk (``_planning``); a pass is
kept for those with work now.

The modules: ``_ports`` (the sender the service is given, and its errors), ``_reports`` (what the command line
and /reminders show), ``_pacing`` (the throttle), ``_wakeups`` (the one wake-up), ``_planning`` (many communities
planned at once) and ``_service``.
The message text is in
``bot.domain.reminder_text``.
"""

from bot.services.reminders._pacing import CHANNEL_POST_COST, Throttle
from bot.services.reminders._ports import (
    AnswerButtonSpec,
    ChannelRefused,
    DeliveryFailed,
    DeliveryRefused,
    OutboxUnreadable,
    OutgoingMessage,
    ReminderSender,
    content_digest,
)
from bot.services.reminders._reports import DmReminderStatus, ReminderSchedule, ScheduledReminder
from bot.services.reminders._service import (
    CLOSE_GRACE,
    FIRST_RETRY,
    LONGEST_RETRY,
    MAX_ATTEMPTS,
    NONCE_WINDOW,
    SWEEP_INTERVAL,
    SWEEP_JOB_ID,
    ReminderService,
)
from bot.services.reminders._wakeups import WAKE_JOB_ID

__all__ = [
    "CHANNEL_POST_COST",
    "CLOSE_GRACE",
    "FIRST_RETRY",
    "LONGEST_RETRY",
    "MAX_ATTEMPTS",
    "NONCE_WINDOW",
    "SWEEP_INTERVAL",
    "SWEEP_JOB_ID",
    "WAKE_JOB_ID",
    "AnswerButtonSpec",
    "ChannelRefused",
    "DeliveryFailed",
    "DeliveryRefused",
    "DmReminderStatus",
    "OutboxUnreadable",
    "OutgoingMessage",
    "ReminderSchedule",
    "ReminderSender",
    "ReminderService",
    "ScheduledReminder",
    "Throttle",
    "content_digest",
]
