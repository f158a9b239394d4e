"""Which channel and role settings are in force in a server (issue 20, items 1 and 2): pure rules."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from bot.domain.server_settings import (
    ServerDefaults,
    StoredServerSettings,
    Withholding,
    effective_settings,
)
from bot.domain.settings_rules import withheld_note

HOME, OTHER = 100000000000000001, 100000000000000002
CHANNEL, ROLE = 200000000000000001, 300000000000000001
DEFAULTS = ServerDefaults(reminder_channel_id=CHANNEL, ping_role_id=ROLE, home_community_id=HOME)


def test_the_development_server_gets_the_defaults_and_no_other_server_does() -> None:
    home = effective_settings(HOME, StoredServerSettings(), DEFAULTS)
    assert (home.reminder_channel_id, home.ping_role_id, home.withheld) == (CHANNEL, ROLE, ())
    other = effective_settings(OTHER, StoredServerSettings(), DEFAULTS)
    assert (other.reminder_channel_id, other.ping_role_id) == (None, None)
    assert [(w.variable, w.why) for w in other.withheld] == [
        ("REMINDER_CHANNEL_ID", Withholding.ELSEWHERE),
        ("PING_ROLE_ID", Withholding.ELSEWHERE),
    ]
    what, fix = withheld_note(other.withheld[0])
    assert (
        "REMINDER_CHANNEL_ID" in what
        and "another server" in what
        and fix == "choose one with /setup reminder_channel:."
    )


def test_without_guild_id_a_default_belongs_to_the_server_found_holding_it_and_to_none_before() -> None:
    defaults = ServerDefaults(reminder_channel_id=CHANNEL)
    assert effective_settings(HOME, StoredServerSettings(), defaults).reminder_channel_id is None
    places = {"reminder_channel_id": HOME}
    assert effective_settings(HOME, StoredServerSettings(), defaults, places).reminder_channel_id == CHANNEL
    assert effective_settings(OTHER, StoredServerSettings(), defaults, places).reminder_channel_id is None


def test_a_server_s_own_setting_wins_over_a_default_it_does_not_get() -> None:
    mine = StoredServerSettings(reminder_channel_id=CHANNEL + 1)
    settings = effective_settings(OTHER, mine, DEFAULTS)
    assert settings.reminder_channel_id == CHANNEL + 1
    assert [w.setting for w in settings.withheld] == ["ping_role_id"]


@given(
    st.sampled_from(["ping_role_id", "facilitator_role_id", "organiser_role_id"]),
    st.booleans(),
    st.booleans(),
)
def test_a_role_that_is_the_server_s_own_id_is_never_in_force(name: str, stored: bool, with_home: bool) -> None:
    """@everyone, whether from .env (with or without GUILD_ID) or stored."""
    defaults = ServerDefaults(**{name: OTHER}, home_community_id=OTHER if with_home else None)
    places = {} if with_home else {name: OTHER}
    kept = StoredServerSettings(**{name: OTHER}) if stored else StoredServerSettings()
    settings = effective_settings(OTHER, kept, defaults, places)
    assert getattr(settings, name) is None
    [withheld] = settings.withheld
    assert withheld.why is Withholding.EVERYONE and withheld.from_defaults is not stored
    assert "@everyone" in withheld_note(withheld)[0]
