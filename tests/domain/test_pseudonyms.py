"""Pseudonyms: stable, distinct, keyed, readable."""

from __future__ import annotations

import hashlib
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.errors import SettingsError
from bot.domain.pseudonyms import (
    MIN_SECRET_BYTES,
    PSEUDONYM_CHARS,
    erasure_pseudonym,
    new_secret,
    pseudonym,
    secret_from_text,
    secret_to_text,
)

SECRET = bytes(range(32))
GUILD = 700_000_000_000_000_001
SHAPE = re.compile(rf"member-[a-z2-7]{{{PSEUDONYM_CHARS}}}")
snowflakes = st.integers(min_value=0, max_value=2**64 - 1)


def test_known_value_is_stable_across_releases() -> None:
    # Pinned: changing the derivation would silently rename every member in later exports.
    assert pseudonym(SECRET, 1, 2) == "member-kf24zj3qhc"


@settings(max_examples=200, deadline=None)
@given(snowflakes, snowflakes)
def test_shape_and_stability(community_id: int, user_id: int) -> None:
    name = pseudonym(SECRET, community_id, user_id)
    assert SHAPE.fullmatch(name)
    assert name == pseudonym(SECRET, community_id, user_id)


@settings(max_examples=200, deadline=None)
@given(snowflakes, snowflakes, snowflakes)
def test_distinct_members_and_servers_get_distinct_names(community_id: int, user_a: int, user_b: int) -> None:
    if user_a != user_b:
        assert pseudonym(SECRET, community_id, user_a) != pseudonym(SECRET, community_id, user_b)
    assert pseudonym(SECRET, community_id, user_a) != pseudonym(SECRET, community_id ^ 1, user_a)


def test_no_collisions_over_100k_members() -> None:
    base = 200_000_000_000_000_000
    names = {pseudonym(SECRET, GUILD, base + i * 4_194_304) for i in range(100_000)}
    assert len(names) == 100_000


def test_swapped_ids_do_not_collide() -> None:
    assert pseudonym(SECRET, 1, 2) != pseudonym(SECRET, 2, 1)
    assert pseudonym(SECRET, 12, 3) != pseudonym(SECRET, 1, 23)


def test_depends_on_the_secret_and_is_not_a_plain_hash() -> None:
    user_id = 123_456_789_012_345_678
    other_secret = bytes(reversed(SECRET))
    assert pseudonym(SECRET, GUILD, user_id) != pseudonym(other_secret, GUILD, user_id)
    plain_hashes = {
        hashlib.sha256(text.encode()).hexdigest() for text in (str(user_id), f"{GUILD}:{user_id}", f"{GUILD}{user_id}")
    }
    suffix = pseudonym(SECRET, GUILD, user_id).removeprefix("member-")
    assert not any(suffix in digest for digest in plain_hashes)


@pytest.mark.parametrize("secret", [b"", b"short", b"x" * (MIN_SECRET_BYTES - 1)])
def test_short_secrets_are_refused(secret: bytes) -> None:
    with pytest.raises(SettingsError, match="too short"):
        pseudonym(secret, GUILD, 1)
    with pytest.raises(SettingsError, match="too short"):
        secret_to_text(secret)


@pytest.mark.parametrize("user_id", [-1, 2**64])
def test_out_of_range_ids_are_refused(user_id: int) -> None:
    with pytest.raises(ValueError):
        pseudonym(SECRET, GUILD, user_id)


def test_new_secret_is_random_and_round_trips_through_text() -> None:
    secret = new_secret()
    assert len(secret) == 32
    assert secret != new_secret()
    text = secret_to_text(secret)
    assert re.fullmatch(r"[0-9a-f]{64}", text)
    assert secret_from_text(text) == secret
    assert secret_from_text(f"  {text.upper()}\n") == secret


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param("not hex at all", "not valid", id="not-hex"),
        pytest.param("abc", "not valid", id="odd-length"),
        pytest.param("", "too short", id="empty"),
        pytest.param("00" * (MIN_SECRET_BYTES - 1), "too short", id="short"),
    ],
)
def test_secret_from_text_refuses(text: str, message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        secret_from_text(text)


def test_public_thread_replies_get_a_pseudonym_that_cannot_be_joined_to_private_answers() -> None:
    secret = bytes(range(32))
    private = pseudonym(secret, 1, 42)
    public = pseudonym(secret, 1, 42, public_reply=True)
    assert public.startswith("poster-") and private.startswith("member-")
    assert public.removeprefix("poster-") != private.removeprefix("member-")
    assert pseudonym(secret, 1, 42, public_reply=True) == public  # stable all the same


def test_slack_members_get_pseudonyms_that_never_meet_discord_ones() -> None:
    from bot.domain.platform_ids import slack_id_to_int

    team, member = slack_id_to_int("T0123ABCD"), slack_id_to_int("U0123ABCD")
    label = pseudonym(SECRET, team, member)
    assert label.startswith("member-") and label == pseudonym(SECRET, team, member)
    assert label != pseudonym(SECRET, team, slack_id_to_int("U0123ABCE"))
    assert pseudonym(SECRET, team, member, public_reply=True).startswith("poster-")
    with pytest.raises(ValueError):
        pseudonym(SECRET, team, GUILD)  # a Discord member in a Slack workspace: one platform or the other


# --- the keys of the erasure records ------------------------------------------------------------------------------


def test_an_erasure_key_is_pinned_whole_and_unlike_any_export_pseudonym() -> None:
    # Pinned: a changed derivation would make every erasure record miss its member, undoing the erasures.
    key = erasure_pseudonym(SECRET, 1, 2)
    assert key == "37e1195c802a5b7c2f8d1ba04f947d9d0a75cf152938771804da05fdd7019fc6"
    assert re.fullmatch("[0-9a-f]{64}", key)
    message = b"workshop-bot/erasure/v1\x00" + (1).to_bytes(8, "big") + (2).to_bytes(8, "big")
    assert key != hashlib.sha256(message).hexdigest()  # keyed: not a hash anyone could compute for every id
    # Another domain than the exports': even under the same secret, no prefix of it is an export's label.
    for label in (pseudonym(SECRET, 1, 2), pseudonym(SECRET, 1, 2, public_reply=True)):
        assert label.split("-", 1)[1] not in key


@settings(max_examples=200, deadline=None)
@given(snowflakes, snowflakes, snowflakes)
def test_erasure_keys_are_stable_and_distinct_per_member_and_server(
    community_id: int, user_a: int, user_b: int
) -> None:
    key = erasure_pseudonym(SECRET, community_id, user_a)
    assert key == erasure_pseudonym(SECRET, community_id, user_a)
    assert key != erasure_pseudonym(new_secret(), community_id, user_a)
    if user_a != user_b:
        assert key != erasure_pseudonym(SECRET, community_id, user_b)
        assert erasure_pseudonym(SECRET, user_a, community_id) != erasure_pseudonym(SECRET, user_b, community_id)


@pytest.mark.parametrize("ids", [(1, 2**64), (-1, 2), (2, -(2**63) - 1)])
def test_erasure_keys_refuse_what_is_not_a_platform_id_and_short_secrets(ids: tuple[int, int]) -> None:
    with pytest.raises(ValueError):
        erasure_pseudonym(SECRET, *ids)
    with pytest.raises(SettingsError, match="too short"):
        erasure_pseudonym(SECRET[: MIN_SECRET_BYTES - 1], 1, 2)
