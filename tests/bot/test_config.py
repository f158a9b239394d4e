"""Settings: validated with clear messages, the token never shown."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

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
        ({"GUILD_ID": "abc"}, "GUILD_ID must be a Discord server id (a number), got 'abc'"),
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
