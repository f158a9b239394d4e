"""Settings, built from the environment (and a .env file) by the entry point, never at import.

Frozen and validated: a bad value stops the bot with a message naming the setting and what it expects.
The token is wrapped so it never shows in a repr, a log line or an error.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import TypeVar
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dotenv import dotenv_values

from bot.domain import settings_rules as rules
from bot.domain.communities import DEFAULT_LEAVE_GRACE, check_shards
from bot.domain.errors import SettingsError, UserFacingError, quoted
from bot.domain.platform_ids import INT64_MAX
from bot.domain.pseudonyms import secret_from_text
from bot.domain.reminders import parse_offsets
from bot.domain.server_settings import ServerDefaults
from bot.storage.database_url import check_postgresql_url

DEFAULT_DATABASE_PATH = Path("data/bot.sqlite3")
DEFAULT_PROGRAMME_FILE = Path("data/programme.toml")
DEFAULT_SLACK_API_URL = "https://slack.com/api/"
# Far beyond any bot this software serves (4,096 shards hold ten million servers): a typo, not a plan.
MAX_SHARD_COUNT = 4096
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
T = TypeVar("T")


class Secret:
    """A string that does not show itself: ``repr`` and ``str`` are masked, ``reveal()`` is explicit."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('********')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


@dataclass(frozen=True, slots=True)
class Settings:
    """Every setting the bot reads. See .env.example and the README's table for what each one does."""

    discord_token: Secret | None = None
    guild_id: int | None = None
    database_path: Path = DEFAULT_DATABASE_PATH
    # postgresql://… selects PostgreSQL instead of SQLite at database_path. Out of repr: it may hold a password.
    database_url: str | None = field(default=None, repr=False)
    programme_file: Path = DEFAULT_PROGRAMME_FILE
    timezone: str = "Europe/London"
    log_level: str = "INFO"
    log_file: Path | None = None
    discord_api_base: str | None = None
    discord_gateway_url: str | None = None
    message_content_intent: bool = False
    reminder_offsets: tuple[timedelta, ...] = (timedelta(hours=24), timedelta(hours=1))
    reminder_channel_id: int | None = None
    ping_role_id: int | None = None
    facilitator_role_id: int | None = None
    organiser_role_id: int | None = None
    dm_rate_per_second: float = 5.0
    export_secret: Secret | None = field(default=None)
    leave_grace: timedelta = DEFAULT_LEAVE_GRACE  # a server's data outlives the bot's removal by this long
    shard_count: int | None = None  # None: discord.py asks Discord for the recommended count
    shard_ids: tuple[int, ...] | None = None  # None: this process runs every shard
    slack_bot_token: Secret | None = None  # xoxb-…: the Slack front end starts when both Slack tokens are set
    slack_app_token: Secret | None = None  # xapp-…: Socket Mode's app-level token
    slack_api_url: str = DEFAULT_SLACK_API_URL  # slack_sdk's base_url (tests and proxies only)

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> Settings:
        """Build and validate settings from a mapping of environment variables.

        Every value is checked, with the rules /setup uses (bot/domain/settings_rules.py), and every problem
        is reported at once: fixing a .env should not take one run per mistake.
        """
        problems: list[str] = []

        def text(name: str) -> str | None:
            value = environ.get(name, "").strip()
            return value or None

        def checked(rule: Callable[[], T], fallback: T) -> T:
            try:
                return rule()
            except UserFacingError as error:
                problems.append(str(error))
                return fallback

        def snowflake(name: str, kind: str) -> int | None:
            value = text(name)
            number = None if value is None else checked(lambda: rules.discord_id(value, name=name, kind=kind), None)
            if number is not None and number > INT64_MAX:  # every id column is a signed 64-bit integer
                problems.append(f"{name} must be a Discord {kind} id of at most {INT64_MAX}, got {quoted(value)}")
                return None
            return number

        def url(name: str, schemes: tuple[str, ...]) -> str | None:
            value = text(name)
            if value is None:
                return None
            try:
                parts = urlsplit(value)
                valid = parts.scheme in schemes and bool(parts.hostname)
            except ValueError:
                valid = False
            if not valid:
                problems.append(f"{name} must be a {' or '.join(schemes)} URL, got {quoted(value)}")
                return None
            return value.rstrip("/")

        timezone = text("TIMEZONE") or "Europe/London"
        try:
            ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError):
            problems.append(f"TIMEZONE must be an IANA time zone such as Europe/London, got {quoted(timezone)}")
            timezone = "Europe/London"
        log_level = (text("LOG_LEVEL") or "INFO").upper()
        if log_level not in LOG_LEVELS:
            problems.append(f"LOG_LEVEL must be one of {', '.join(LOG_LEVELS)}, got {quoted(log_level)}")
        intent = (text("MESSAGE_CONTENT_INTENT") or "false").lower()
        if intent not in ("true", "false", "1", "0", "yes", "no", "on", "off"):
            problems.append(f"MESSAGE_CONTENT_INTENT must be true or false, got {quoted(intent)}")
        offsets_text = text("REMINDER_OFFSETS") or "24h,1h"
        try:
            offsets = parse_offsets(offsets_text)
        except UserFacingError as error:
            problems.append(f"REMINDER_OFFSETS: {error}")
            offsets = ()
        rate_text = text("DM_RATE_PER_SECOND") or "5"
        try:
            rate = float(rate_text)
        except ValueError:
            rate = -1.0
        if not 0 < rate <= 40:  # also refuses nan
            problems.append(f"DM_RATE_PER_SECOND must be a number above 0 and at most 40, got {quoted(rate_text)}")
        guild_id = snowflake("GUILD_ID", "server")
        roles = {name: snowflake(name, "role") for name in ("PING_ROLE_ID", "FACILITATOR_ROLE_ID", "ORGANISER_ROLE_ID")}
        for name, role_id in roles.items():
            try:
                if role_id is not None:
                    rules.require_not_everyone(role_id, guild_id, role=name.removesuffix("_ROLE_ID").lower())
            except SettingsError as error:
                reason = str(error).removesuffix(f" {rules.NOTHING_CHANGED}")
                problems.append(f"{name} is the server's own id, which Discord uses for @everyone: {reason}")
        token = text("DISCORD_TOKEN")
        secret = text("EXPORT_SECRET")
        if secret is not None:
            try:
                secret_from_text(secret)  # checked now, not at the first export
            except SettingsError as error:
                problems.append(f"EXPORT_SECRET: {error} {EXPORT_SECRET_HOW}")
        log_file = text("LOG_FILE")
        reminder_channel_id = snowflake("REMINDER_CHANNEL_ID", "channel")
        api_base = url("DISCORD_API_BASE", ("http", "https"))
        database_url = text("DATABASE_URL")
        if database_url is not None:
            try:
                check_postgresql_url(database_url)
            except ValueError as error:  # its message shows the URL with the password redacted
                problems.append(str(error))
                database_url = None
        gateway_url = url("DISCORD_GATEWAY_URL", ("ws", "wss"))
        grace_text = text("LEAVE_GRACE_DAYS") or str(DEFAULT_LEAVE_GRACE.days)
        grace_days = int(grace_text) if grace_text.isascii() and grace_text.isdigit() and len(grace_text) < 6 else -1
        if not 0 <= grace_days <= 3650:
            problems.append(f"LEAVE_GRACE_DAYS must be a whole number of days from 0 to 3650, got {quoted(grace_text)}")
        shard_count, shard_ids = _shards(text("SHARD_COUNT"), text("SHARD_IDS"), problems)
        slack_bot_token = _slack_token("SLACK_BOT_TOKEN", text("SLACK_BOT_TOKEN"), "xoxb-", problems)
        slack_app_token = _slack_token("SLACK_APP_TOKEN", text("SLACK_APP_TOKEN"), "xapp-", problems)
        if (slack_bot_token is None) != (slack_app_token is None) and not problems:
            missing = "SLACK_APP_TOKEN" if slack_app_token is None else "SLACK_BOT_TOKEN"
            problems.append(f"{missing} is not set: the Slack front end needs both SLACK_BOT_TOKEN and SLACK_APP_TOKEN")
        slack_api_url = url("SLACK_API_URL", ("http", "https"))
        if problems:
            raise SettingsError(_together(problems))
        return cls(
            discord_token=Secret(token) if token else None,
            guild_id=guild_id,
            database_path=Path(text("DATABASE_PATH") or DEFAULT_DATABASE_PATH),
            database_url=database_url,
            programme_file=Path(text("PROGRAMME_FILE") or DEFAULT_PROGRAMME_FILE),
            timezone=timezone,
            log_level=log_level,
            log_file=Path(log_file) if log_file else None,
            discord_api_base=api_base,
            discord_gateway_url=gateway_url,
            message_content_intent=intent in ("true", "1", "yes", "on"),
            reminder_offsets=offsets,
            reminder_channel_id=reminder_channel_id,
            ping_role_id=roles["PING_ROLE_ID"],
            facilitator_role_id=roles["FACILITATOR_ROLE_ID"],
            organiser_role_id=roles["ORGANISER_ROLE_ID"],
            dm_rate_per_second=rate,
            export_secret=Secret(secret) if secret else None,
            leave_grace=timedelta(days=grace_days),
            shard_count=shard_count,
            shard_ids=shard_ids,
            slack_bot_token=slack_bot_token,
            slack_app_token=slack_app_token,
            # slack_sdk joins method names onto base_url, so it ends in a slash
            slack_api_url=f"{slack_api_url}/" if slack_api_url else DEFAULT_SLACK_API_URL,
        )

    @property
    def runs_discord(self) -> bool:
        return self.discord_token is not None

    @property
    def runs_slack(self) -> bool:
        return self.slack_bot_token is not None and self.slack_app_token is not None

    def require_token(self) -> str:
        if self.discord_token is None:
            raise SettingsError(MISSING_TOKEN)
        return self.discord_token.reveal()

    def require_for_run(self) -> None:
        """Check that ``run`` has a front end to start: Discord (DISCORD_TOKEN), Slack (both Slack tokens), or
        both. GUILD_ID is optional: without it the bot serves every server it is in, with global commands."""
        if not (self.runs_discord or self.runs_slack):
            raise SettingsError(NOTHING_TO_RUN)


MISSING_TOKEN = (
    "DISCORD_TOKEN is not set. Create a bot at https://discord.com/developers/applications "
    "(Bot > Reset Token), then put DISCORD_TOKEN=... in .env (see .env.example)."
)
NOTHING_TO_RUN = (
    "DISCORD_TOKEN is not set, nor SLACK_BOT_TOKEN and SLACK_APP_TOKEN: to run on Discord, put DISCORD_TOKEN=... in "
    ".env (a bot at https://discord.com/developers/applications, Bot > Reset Token); to run on Slack, put "
    "SLACK_BOT_TOKEN=xoxb-... and SLACK_APP_TOKEN=xapp-... there (your app at https://api.slack.com/apps); "
    "both may be set (see .env.example)."
)
MISSING_GUILD = (
    "GUILD_ID is not set: put your Discord server's id (17-20 digits) in .env. To copy it, turn on Developer "
    f"Mode in Discord (User Settings > Advanced), then {rules.HOW_TO_COPY_ID['server']}."
)
EXPORT_SECRET_HOW = (
    "Make one with: python -c 'import secrets; print(secrets.token_hex(32))' (or openssl rand -hex 32), "
    "or leave EXPORT_SECRET empty to have one generated."
)


def _shards(
    count_text: str | None, ids_text: str | None, problems: list[str]
) -> tuple[int | None, tuple[int, ...] | None]:
    """SHARD_COUNT and SHARD_IDS ("0,1"), checked together; problems are added to ``problems``."""
    count: int | None = None
    ids: tuple[int, ...] | None = None
    if count_text is not None:
        # isascii first: str.isdigit() accepts superscripts and other scripts' digits, which int() refuses.
        if not (count_text.isascii() and count_text.isdigit()):
            problems.append(f"SHARD_COUNT must be a whole number of at least 1, got {quoted(count_text)}")
            return None, None
        count = int(count_text)
        if count > MAX_SHARD_COUNT:
            problems.append(
                f"SHARD_COUNT must be at most {MAX_SHARD_COUNT:,} (a shard serves up to 2,500 servers; Discord "
                f"recommends about one per 1,000), got {quoted(count_text)}"
            )
            return None, None
    if ids_text is not None:
        parts = [part.strip() for part in ids_text.split(",")]
        if not all(part.isascii() and part.isdigit() for part in parts):
            problems.append(
                f"SHARD_IDS must list shard numbers separated by commas, such as 0,1, got {quoted(ids_text)}"
            )
            return None, None
        ids = tuple(int(part) for part in parts)
    try:
        check_shards(count, ids)
    except SettingsError as error:
        problems.append(str(error))
        return None, None
    return count, ids


def _slack_token(name: str, value: str | None, prefix: str, problems: list[str]) -> Secret | None:
    """A Slack token, checked by its documented prefix; the value itself is never repeated in a message."""
    if value is None:
        return None
    malformed = not value.isascii() or any(c.isspace() or not c.isprintable() for c in value)
    if malformed or not value.startswith(prefix) or len(value) <= len(prefix):
        kind = "bot token" if prefix == "xoxb-" else "app-level token"
        problems.append(
            f"{name} must be the Slack {kind}, which starts with {prefix} (the value given does not; "
            "copy it again from the app's settings at api.slack.com/apps)"
        )
        return None
    return Secret(value)


def _together(problems: list[str]) -> str:
    """One line however many problems (the command line promises one line on stderr), each ending in '.'."""
    if len(problems) == 1:
        return problems[0]
    sentences = " ".join(f"({n}) {p.rstrip('.')}." for n, p in enumerate(problems, start=1))
    return f"{len(problems)} settings need fixing: {sentences}"


def load_settings(env_file: Path | None = Path(".env")) -> Settings:
    """Settings from the process environment over the values in ``env_file`` (if it exists)."""
    file_values: dict[str, str] = {}
    if env_file is not None and env_file.is_file():
        file_values = {k: v for k, v in dotenv_values(env_file).items() if v is not None}
    merged = {**file_values, **os.environ}
    settings = Settings.from_env(merged)
    logging.getLogger(__name__).debug("settings loaded (env file: %s)", env_file if file_values else "none")
    return settings


def server_defaults(settings: Settings) -> ServerDefaults:
    """The per-server defaults that come from the environment (a server may override them with /setup)."""
    return ServerDefaults(
        reminder_offsets=settings.reminder_offsets,
        reminder_channel_id=settings.reminder_channel_id,
        ping_role_id=settings.ping_role_id,
        facilitator_role_id=settings.facilitator_role_id,
        organiser_role_id=settings.organiser_role_id,
        home_community_id=settings.guild_id,  # the channel and role defaults are its (without it: found)
    )
