"""The rules for settings, in one place: ``.env`` (bot/config.py) and /setup (cogs/organiser/_settings.py) both
use them, so a value one refuses the other refuses too.

``plan_settings_change`` turns what an organiser gave /setup into a typed ``SettingsChange``, checking every
rule (set-or-clear, week only with a meeting link, bounds, https links, never @everyone) before anything is
saved: a change is saved whole or not at all.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from types import MappingProxyType
from urllib.parse import urlsplit

from bot.domain.errors import NotFoundError, SettingsError, UserFacingError, quoted
from bot.domain.reminders import parse_offsets
from bot.domain.server_settings import ROLE_SETTINGS, Withheld, Withholding

NOTHING_CHANGED = "Nothing was changed."
SNOWFLAKE_DIGITS = (17, 20)  # Discord ids: 17 digits in 2015, 19 today, 20 at most (64 bits)
MAX_ANSWER_WINDOW_HOURS = 28 * 24
MIN_RETENTION_DAYS = 1
MAX_RETENTION_DAYS = 3650
MAX_LINK_LENGTH = 500

HOW_TO_COPY_ID = {
    "server": "right-click the server's icon and choose Copy Server ID",
    "channel": "right-click the channel and choose Copy Channel ID",
    "role": "open Server Settings > Roles, right-click the role and choose Copy Role ID",
}

# /setup's clear: option: what the organiser picks, and the setting it resets.
CLEARABLE = {
    "reminder channel": "reminder_channel_id",
    "reminder times": "reminder_offsets",
    "ping role": "ping_role_id",
    "facilitator role": "facilitator_role_id",
    "organiser role": "organiser_role_id",
    "discussion channel": "discussion_channel_id",
    "meeting link": "meeting_link",
    "answer window": "answer_window",
    "retention": "retention",
}
SETTING_LABELS = {name: label for label, name in CLEARABLE.items()}
# /setup's option for each channel or role setting.
SETUP_OPTIONS = {
    "reminder_channel_id": "reminder_channel",
    "ping_role_id": "ping_role",
    "facilitator_role_id": "facilitator_role",
    "organiser_role_id": "organiser_role",
    "discussion_channel_id": "discussion_channel",
}
# On/off settings /setup takes as their own options, with how "Saved: ..." names them.
SWITCH_LABELS = {"events_enabled": "Discord events", "remind_interested": "reminder DMs"}


# --- single values --------------------------------------------------------------------------------------


def discord_id(text: str, *, name: str, kind: str) -> int:
    """A Discord id written by hand (``.env``): 17 to 20 ASCII digits, with how to copy one when it is not."""
    value = text.strip()
    low, high = SNOWFLAKE_DIGITS
    # isascii first: str.isdigit() accepts superscripts and other scripts' digits, which int() then refuses.
    if not (value.isascii() and value.isdigit() and low <= len(value) <= high) or int(value) >= 2**64:
        raise SettingsError(
            f"{name} must be a Discord {kind} id, {low}-{high} digits, got {quoted(value)}. To copy it, turn on "
            f"Developer Mode in Discord (User Settings > Advanced), then {HOW_TO_COPY_ID[kind]}."
        )
    return int(value)


def require_not_everyone(role_id: int, community_id: int | None, *, role: str) -> None:
    """A role setting must not be @everyone, whose id is the server's: it would give every member the role."""
    if community_id is not None and role_id == community_id:
        raise SettingsError(
            f"@everyone cannot be the {role} role: choose a role given to some members only. {NOTHING_CHANGED}"
        )


def withheld_note(item: Withheld) -> tuple[str, str]:
    """What an organiser is told about a channel or role setting not in force in their server: (what, fix)."""
    label = SETTING_LABELS.get(item.setting, item.setting)
    option = SETUP_OPTIONS.get(item.setting, item.setting)
    if item.why is Withholding.EVERYONE:
        source = f"{item.variable} in the bot's settings" if item.from_defaults else f"the stored {label}"
        return (
            f"{source} is this server's own id, which Discord uses for @everyone: it is ignored, so that not "
            "every member gets the role.",
            f"choose a role given to some members only with /setup {option}:.",
        )
    kind = "channel" if item.setting.endswith("channel_id") else "role"
    if item.why is Withholding.FOREIGN:
        source = f"{item.variable} in the bot's settings" if item.from_defaults else f"the stored {label}"
        return (
            f"{source} names a {kind} of another server: it is not used here.",
            f"choose one of this server's with /setup {option}:.",
        )
    return (
        f"{item.variable} in the bot's settings names a {kind} of another server, so this server has no {label} "
        "of its own.",
        f"choose one with /setup {option}:.",
    )


def is_web_address(text: str) -> bool:
    """An http(s) address with a host (urlsplit itself refuses some, such as ``https://[zoom.us``)."""
    try:
        parts = urlsplit(text)
        host = parts.hostname
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(host) and not any(ch.isspace() for ch in text)


def https_link(text: str) -> str:
    """A meeting link as given, if it is a full https address."""
    link = text.strip()
    if not is_web_address(link) or not link.startswith("https://") or len(link) > MAX_LINK_LENGTH:
        raise SettingsError(
            "The meeting link must be a full https:// address (such as https://zoom.us/j/123456789), "
            f"at most {MAX_LINK_LENGTH} characters. {NOTHING_CHANGED}"
        )
    return link


def answer_window(hours: int) -> timedelta:
    if not 0 <= hours <= MAX_ANSWER_WINDOW_HOURS:
        raise SettingsError(
            f"The answer window must be 0 to {MAX_ANSWER_WINDOW_HOURS} hours (28 days). {NOTHING_CHANGED}"
        )
    return timedelta(hours=hours)


def retention(days: int) -> timedelta:
    if not MIN_RETENTION_DAYS <= days <= MAX_RETENTION_DAYS:
        raise SettingsError(
            f"Retention must be {MIN_RETENTION_DAYS} to {MAX_RETENTION_DAYS} days after the last session. "
            f"{NOTHING_CHANGED}"
        )
    return timedelta(days=days)


def reminder_offsets(text: str) -> tuple[timedelta, ...]:
    try:
        return parse_offsets(text)
    except SettingsError as error:
        raise SettingsError(f"{error} {NOTHING_CHANGED}") from None


# --- a /setup change ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SetupRequest:
    """What an organiser gave /setup, with Discord's objects reduced to ids."""

    reminder_channel_id: int | None = None
    reminder_times: str | None = None
    ping_role_id: int | None = None
    facilitator_role_id: int | None = None
    organiser_role_id: int | None = None
    discussion_channel_id: int | None = None
    meeting_link: str | None = None
    week: int | None = None
    answer_window_hours: int | None = None
    retention_days: int | None = None
    clear: str | None = None
    events_enabled: bool | None = None  # sessions as Discord scheduled events
    remind_interested: bool | None = None  # reminder DMs also to members Interested in the session's event


@dataclass(frozen=True, slots=True)
class SetupContext:
    """What the rules need to know about the server."""

    community_id: int
    weeks: tuple[int, ...] | None  # None: no programme imported yet
    last_session_end: datetime | None = None


@dataclass(frozen=True, slots=True)
class SettingsChange:
    """A checked change: settings to store (None clears one) and perhaps one week's meeting link."""

    settings: Mapping[str, object] = field(default_factory=lambda: MappingProxyType({}))
    week_link: tuple[int, str | None] | None = None

    @property
    def is_empty(self) -> bool:
        return not self.settings and self.week_link is None

    def changed_labels(self) -> list[str]:
        labels = [label for label, name in CLEARABLE.items() if name in self.settings]
        labels += [label for name, label in SWITCH_LABELS.items() if name in self.settings]
        if self.week_link is not None:
            labels.append(f"meeting link for week {self.week_link[0]}")
        return labels


def plan_settings_change(request: SetupRequest, context: SetupContext) -> SettingsChange:
    """Every /setup rule, checked before anything is saved; raises a UserFacingError ending "Nothing was changed."."""
    changes: dict[str, object] = {}
    if request.reminder_channel_id is not None:
        changes["reminder_channel_id"] = request.reminder_channel_id
    if request.reminder_times is not None:
        changes["reminder_offsets"] = reminder_offsets(request.reminder_times)
    for name in ROLE_SETTINGS:
        role_id = getattr(request, name)
        if role_id is not None:
            require_not_everyone(role_id, context.community_id, role=name.removesuffix("_role_id"))
            changes[name] = role_id
    if request.discussion_channel_id is not None:
        changes["discussion_channel_id"] = request.discussion_channel_id
    if request.answer_window_hours is not None:
        changes["answer_window"] = answer_window(request.answer_window_hours)
    if request.retention_days is not None:
        period = retention(request.retention_days)
        _require_retention_fits(period, context.last_session_end)
        changes["retention"] = period
    for switch in SWITCH_LABELS:
        value = getattr(request, switch)
        if value is not None:
            changes[switch] = bool(value)
    link = https_link(request.meeting_link) if request.meeting_link is not None else None
    week_link: tuple[int, str | None] | None = None
    if request.clear is not None:
        setting = CLEARABLE.get(request.clear)
        if setting is None:
            raise SettingsError(f"{quoted(request.clear)} is not a setting that can be cleared. {NOTHING_CHANGED}")
        if setting in changes or (setting == "meeting_link" and link is not None):
            raise SettingsError(f"You asked to both set and clear the {request.clear}. {NOTHING_CHANGED}")
        if setting == "meeting_link" and request.week is not None:
            week_link = (request.week, None)
        else:
            changes[setting] = None
    if link is not None:
        if request.week is not None:
            week_link = (request.week, link)
        else:
            changes["meeting_link"] = link
    if request.week is not None and week_link is None:
        raise SettingsError(
            "week only applies to a meeting link: give meeting_link (or clear: meeting link) with it. "
            f"{NOTHING_CHANGED}"
        )
    if week_link is not None and (context.weeks is None or week_link[0] not in context.weeks):
        valid = f" Valid weeks: {weeks_text(context.weeks)}." if context.weeks else ""
        raise NotFoundError(f"There is no week {week_link[0]} in this programme.{valid} {NOTHING_CHANGED}")
    return SettingsChange(settings=MappingProxyType(changes), week_link=week_link)


def _require_retention_fits(period: timedelta, last_session_end: datetime | None) -> None:
    # A programme read from an old database can end far in the future; the deletion date must be a real date.
    if last_session_end is None:
        return
    try:
        last_session_end + period + timedelta(days=30)
    except OverflowError:
        raise UserFacingError(
            "The programme's last session is too far in the future for a retention period: re-import the programme "
            f"with correct dates first. {NOTHING_CHANGED}"
        ) from None


def weeks_text(weeks: tuple[int, ...] | list[int]) -> str:
    ordered = sorted(weeks)
    if ordered and ordered == list(range(ordered[0], ordered[-1] + 1)):
        return f"{ordered[0]} to {ordered[-1]}"
    return ", ".join(str(w) for w in ordered)
