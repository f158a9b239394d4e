"""Settings: validated with clear messages, the token never shown."""

from __future__ import annotations

import contextlib
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.config import Secret, Settings, load_settings
from bot.domain.errors import SettingsError

TOKEN = "MTIz.secret-token-value.xyz"


def test_defaults() -> None:
    settings = Settings.from_env({})
    assert settings.database_path == Path("data/bot.sqlite3")
    assert settings.timezone == "Europe/London"
    assert settings.reminder_offsets == (timedelta(hours=24), timedelta(hours=1))
    assert settings.discord_token is None and settings.message_content_intent is False


def test_the_token_never_shows_in_reprs_or_errors() -> None:
    settings = Settings.from_env({"DISCORD_TOKEN": TOKEN, "GUILD_ID": "100000000000000001"})
    assert TOKEN not in repr(settings) and TOKEN not in str(settings)
    assert settings.require_token() == TOKEN
    assert TOKEN not in repr(Secret(TOKEN)) and TOKEN not in f"{Secret(TOKEN)}"


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"GUILD_ID": "abc"}, "GUILD_ID must be a Discord server id, 17-20 digits, got 'abc'"),
        ({"REMINDER_CHANNEL_ID": "12"}, "REMINDER_CHANNEL_ID must be a Discord channel id"),
        ({"TIMEZONE": "Europe/Atlantis"}, "TIMEZONE must be an IANA time zone"),
        ({"LOG_LEVEL": "chatty"}, "LOG_LEVEL must be one of"),
        ({"MESSAGE_CONTENT_INTENT": "maybe"}, "MESSAGE_CONTENT_INTENT must be true or false"),
        ({"REMINDER_OFFSETS": "soon"}, "REMINDER_OFFSETS:"),
        ({"DM_RATE_PER_SECOND": "100"}, "DM_RATE_PER_SECOND must be a number above 0 and at most 40"),
        ({"DISCORD_API_BASE": "ftp://x"}, "DISCORD_API_BASE must be a http or https URL"),
        ({"DISCORD_GATEWAY_URL": "http://x"}, "DISCORD_GATEWAY_URL must be a ws or wss URL"),
    ],
)
def test_bad_values_are_refused_clearly(env: dict[str, str], message: str) -> None:
    with pytest.raises(SettingsError) as caught:
        Settings.from_env({**env, "DISCORD_TOKEN": TOKEN})
    assert message in str(caught.value)
    assert TOKEN not in str(caught.value)


def test_the_environment_wins_over_the_env_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("GUILD_ID=100000000000000001\nTIMEZONE=UTC\n", encoding="utf-8")
    monkeypatch.setenv("TIMEZONE", "America/New_York")
    monkeypatch.delenv("GUILD_ID", raising=False)
    settings = load_settings(env_file)
    assert settings.guild_id == 100000000000000001
    assert settings.timezone == "America/New_York"


def test_settings_are_frozen() -> None:
    settings = Settings.from_env({})
    with pytest.raises(AttributeError):
        settings.timezone = "UTC"  # type: ignore[misc]


# --- issue 12.7 and 15.1/15.7: every setting checked at start, with /setup's rules, all problems at once --------

GUILD = "100000000000000001"


@pytest.mark.parametrize("name", ["ORGANISER_ROLE_ID", "FACILITATOR_ROLE_ID", "PING_ROLE_ID"])
def test_a_role_equal_to_the_server_id_is_everyone_and_refused(name: str) -> None:
    with pytest.raises(SettingsError, match=f"{name} is the server's own id, which Discord uses for @everyone"):
        Settings.from_env({"GUILD_ID": GUILD, name: GUILD})


def test_export_secret_is_checked_at_start_and_says_how_to_make_one() -> None:
    with pytest.raises(SettingsError) as caught:
        Settings.from_env({"EXPORT_SECRET": "correct horse battery staple"})
    assert str(caught.value).startswith("EXPORT_SECRET: The pseudonym secret is not valid")
    assert "secrets.token_hex(32)" in str(caught.value)
    assert Settings.from_env({"EXPORT_SECRET": "ab" * 32}).export_secret is not None


def test_superscript_digits_are_refused_not_a_crash() -> None:
    with pytest.raises(SettingsError, match="GUILD_ID must be a Discord server id, 17-20 digits"):
        Settings.from_env({"GUILD_ID": "¹" * 18})


def test_guild_id_123_says_17_to_20_digits_and_how_to_copy_it() -> None:
    with pytest.raises(SettingsError) as caught:
        Settings.from_env({"GUILD_ID": "123"})
    assert "17-20 digits" in str(caught.value)
    assert "Developer Mode" in str(caught.value) and "Copy Server ID" in str(caught.value)


def test_reminder_offsets_in_words_get_a_clear_message() -> None:
    with pytest.raises(SettingsError) as caught:
        Settings.from_env({"REMINDER_OFFSETS": "1 day"})
    assert "has a space" not in str(caught.value)
    assert "REMINDER_OFFSETS: '1 day' is not written the way the bot reads reminder times: write '1d'" in str(
        caught.value
    )


def test_every_bad_setting_is_reported_together() -> None:
    with pytest.raises(SettingsError) as caught:
        Settings.from_env({"GUILD_ID": "123", "TIMEZONE": "Mars/Base", "LOG_LEVEL": "loud", "DM_RATE_PER_SECOND": "x"})
    text = str(caught.value)
    assert "\n" not in text
    assert text.startswith("4 settings need fixing: (1) TIMEZONE must be an IANA time zone")
    assert [text.index(f"({n}) {name}") for n, name in enumerate(["TIMEZONE", "LOG_LEVEL", "DM_RATE", "GUILD_ID"], 1)]


def test_run_needs_a_front_end_but_not_a_server() -> None:
    with pytest.raises(SettingsError) as caught:
        Settings.from_env({}).require_for_run()
    text = str(caught.value)
    assert "\n" not in text and "GUILD_ID" not in text
    assert all(name in text for name in ("DISCORD_TOKEN", "SLACK_BOT_TOKEN", "SLACK_APP_TOKEN"))
    Settings.from_env({"DISCORD_TOKEN": "t"}).require_for_run()
    Settings.from_env({"SLACK_BOT_TOKEN": "xoxb-1-2-abc", "SLACK_APP_TOKEN": "xapp-1-A-2-def"}).require_for_run()


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"SHARD_COUNT": "4", "SHARD_IDS": "2,3"}, (4, (2, 3))),
        ({"SHARD_COUNT": "2"}, (2, None)),
        ({}, (None, None)),
    ],
)
def test_shards_are_read_together(env: dict[str, str], expected: tuple[object, object]) -> None:
    settings = Settings.from_env(env)
    assert (settings.shard_count, settings.shard_ids) == expected


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"SHARD_IDS": "0"}, "SHARD_IDS is set but SHARD_COUNT is not"),
        ({"SHARD_COUNT": "2", "SHARD_IDS": "0,2"}, "SHARD_IDS must lie between 0 and 1 (SHARD_COUNT=2), got 2"),
        ({"SHARD_COUNT": "3", "SHARD_IDS": "1,1"}, "SHARD_IDS names shard 1 more than once"),
        ({"SHARD_COUNT": "0"}, "SHARD_COUNT must be at least 1"),
        ({"SHARD_COUNT": "two"}, "SHARD_COUNT must be a whole number"),
        ({"SHARD_COUNT": "2", "SHARD_IDS": "0;1"}, "SHARD_IDS must list shard numbers separated by commas"),
        ({"LEAVE_GRACE_DAYS": "-1"}, "LEAVE_GRACE_DAYS must be a whole number of days from 0 to 3650"),
    ],
)
def test_bad_shard_and_grace_settings_are_refused(env: dict[str, str], message: str) -> None:
    with pytest.raises(SettingsError) as caught:
        Settings.from_env(env)
    assert message in str(caught.value)


ENV_NAMES = [
    "GUILD_ID", "TIMEZONE", "LOG_LEVEL", "MESSAGE_CONTENT_INTENT", "REMINDER_OFFSETS", "DM_RATE_PER_SECOND",
    "REMINDER_CHANNEL_ID", "PING_ROLE_ID", "ORGANISER_ROLE_ID", "EXPORT_SECRET", "DISCORD_API_BASE",
    "DISCORD_GATEWAY_URL",
]  # fmt: skip


@settings(max_examples=200, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(ENV_NAMES),
        st.one_of(st.text(max_size=30), st.from_regex(r"[0-9]{15,22}", fullmatch=True), st.just(GUILD)),
    )
)
def test_fuzzed_environments_give_only_settings_errors(env: dict[str, str]) -> None:
    with contextlib.suppress(SettingsError):
        Settings.from_env(env)


def test_database_url_selects_postgresql_and_never_shows_its_password() -> None:
    url = "postgresql://bot:s3cret@db.example:5432/workshops"
    loaded = Settings.from_env({"DATABASE_URL": url})
    assert loaded.database_url == url
    assert "s3cret" not in repr(loaded)
    assert Settings.from_env({}).database_url is None  # SQLite at DATABASE_PATH stays the default


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("postgresql://bot:s3cret@db:54x2/workshops", "not a valid URL"),
        ("mysql://bot:s3cret@db/workshops", "must start with postgresql://"),
        ("postgresql://bot:s3cret@db.example", "names no database"),
        ("postgresql://bot:s3cret@/workshops", "names no server"),
    ],
)
def test_a_malformed_database_url_is_a_settings_error_without_the_password(url: str, message: str) -> None:
    with pytest.raises(SettingsError, match=message) as refused:
        Settings.from_env({"DATABASE_URL": url})
    assert "s3cret" not in str(refused.value) and "***" in str(refused.value)


SLACK_BOT = "xoxb-1111-2222-s3cretb0t"
SLACK_APP = "xapp-1-A111-2222-s3cretapp"


def test_slack_settings_are_read_and_never_shown() -> None:
    loaded = Settings.from_env(
        {"SLACK_BOT_TOKEN": SLACK_BOT, "SLACK_APP_TOKEN": SLACK_APP, "SLACK_API_URL": "http://127.0.0.1:9/api"}
    )
    assert loaded.runs_slack and not loaded.runs_discord
    assert loaded.slack_bot_token is not None and loaded.slack_bot_token.reveal() == SLACK_BOT
    assert loaded.slack_app_token is not None and loaded.slack_app_token.reveal() == SLACK_APP
    assert loaded.slack_api_url == "http://127.0.0.1:9/api/"  # slack_sdk joins method names onto it
    assert "s3cret" not in repr(loaded) and "s3cret" not in str(loaded)
    assert Settings.from_env({}).slack_api_url == "https://slack.com/api/"
    assert not Settings.from_env({}).runs_slack


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"SLACK_BOT_TOKEN": "xapp-1-s3cret", "SLACK_APP_TOKEN": SLACK_APP}, "SLACK_BOT_TOKEN must be the Slack bot"),
        (
            {"SLACK_BOT_TOKEN": SLACK_BOT, "SLACK_APP_TOKEN": "xoxb-s3cret"},
            "SLACK_APP_TOKEN must be the Slack app-level",
        ),
        ({"SLACK_BOT_TOKEN": "xoxp-user-s3cret", "SLACK_APP_TOKEN": SLACK_APP}, "starts with xoxb-"),
        ({"SLACK_BOT_TOKEN": "xoxb-", "SLACK_APP_TOKEN": SLACK_APP}, "starts with xoxb-"),
        ({"SLACK_BOT_TOKEN": "xoxb-s3cret token", "SLACK_APP_TOKEN": SLACK_APP}, "SLACK_BOT_TOKEN"),
        ({"SLACK_BOT_TOKEN": "xoxb-s3crét", "SLACK_APP_TOKEN": SLACK_APP}, "SLACK_BOT_TOKEN"),
        ({"SLACK_BOT_TOKEN": SLACK_BOT}, "SLACK_APP_TOKEN is not set"),
        ({"SLACK_APP_TOKEN": SLACK_APP}, "SLACK_BOT_TOKEN is not set"),
        ({"SLACK_API_URL": "slack.com/api"}, "SLACK_API_URL must be a http or https URL"),
        ({"SLACK_API_URL": "ftp://slack.com/api"}, "SLACK_API_URL must be a http or https URL"),
    ],
)
def test_bad_slack_settings_are_one_line_without_the_token(env: dict[str, str], message: str) -> None:
    with pytest.raises(SettingsError) as caught:
        Settings.from_env(env)
    text = str(caught.value)
    assert message in text and "\n" not in text
    assert "s3cret" not in text


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=40), st.text(max_size=40))
def test_fuzzed_slack_tokens_give_only_settings_errors_that_never_repeat_them(bot: str, app: str) -> None:
    try:
        loaded = Settings.from_env({"SLACK_BOT_TOKEN": bot, "SLACK_APP_TOKEN": app})
    except SettingsError as error:
        for token in (bot.strip(), app.strip()):
            if len(token) > 8:
                assert token not in str(error)
    else:
        assert repr(bot) not in repr(loaded) or not bot.strip()
