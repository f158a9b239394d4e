"""The feature -> permissions table behind the preflight check, /setup's health section and the invite URL."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from bot.domain.permissions import (
    ADMINISTRATOR,
    FEATURE_PERMISSIONS,
    Permission,
    Place,
    invite_permissions,
    invite_url,
    missing,
    needs_for,
)


def test_bits_are_discords() -> None:
    # developers/topics/permissions.mdx, "Bitwise Permission Flags"
    assert Permission.VIEW_CHANNEL == 0x400
    assert Permission.SEND_MESSAGES == 0x800
    assert Permission.READ_MESSAGE_HISTORY == 0x10000
    assert Permission.MANAGE_THREADS == 0x400000000
    assert Permission.CREATE_PUBLIC_THREADS == 0x800000000
    assert Permission.SEND_MESSAGES_IN_THREADS == 0x4000000000
    assert Permission.CREATE_EVENTS == 0x100000000000


def test_missing_names_what_is_not_granted() -> None:
    needed = Permission.VIEW_CHANNEL | Permission.SEND_MESSAGES
    assert missing(needed, int(Permission.VIEW_CHANNEL)) == Permission.SEND_MESSAGES
    assert missing(needed, int(needed)) == Permission(0)
    assert missing(needed, ADMINISTRATOR) == Permission(0)
    assert Permission.SEND_MESSAGES.label == "Send Messages"
    assert missing(needed, 0).label == "View Channel and Send Messages"


def test_invite_url_asks_for_exactly_what_the_features_need() -> None:
    url = invite_url(200000000000000001)
    parts = urlsplit(url)
    query = parse_qs(parts.query)
    assert (parts.scheme, parts.netloc, parts.path) == ("https", "discord.com", "/oauth2/authorize")
    assert query["client_id"] == ["200000000000000001"]
    assert query["scope"] == ["bot applications.commands"]
    granted = int(query["permissions"][0])
    assert granted == invite_permissions()
    for need in FEATURE_PERMISSIONS:
        assert missing(need.permissions, granted) == Permission(0), need
    assert not granted & ADMINISTRATOR


def test_every_place_a_feature_uses_has_needs() -> None:
    for place in (Place.REMINDER_CHANNEL, Place.DISCUSSION_TEXT, Place.DISCUSSION_FORUM):
        assert needs_for(place, required_only=True)


def test_the_events_feature_needs_server_permissions_only_when_switched_on() -> None:
    """developers/resources/guild-scheduled-event.mdx, "Permissions for events with entity_type: EXTERNAL"."""
    [events] = [need for need in needs_for(Place.SERVER, required_only=True) if need.feature == "events"]
    assert events.permissions == Permission.CREATE_EVENTS | Permission.MANAGE_EVENTS
    assert needs_for(Place.SERVER, required_only=True, switched_on=frozenset()) == []
    assert needs_for(Place.SERVER, switched_on=frozenset({"events_enabled"})) == [events]
    assert invite_permissions() & (Permission.CREATE_EVENTS | Permission.MANAGE_EVENTS)
