"""Stable pseudonyms for members in exports, and the keys of their erasure records.

A pseudonym is a keyed hash (HMAC-SHA256) of the server and member ids. The same member always gets
the same pseudonym within a server, different members get different ones, and without the secret no
one can go from a pseudonym back to a Discord id. A plain hash would not do: Discord ids are public
and few enough to hash them all and look the pseudonym up.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import struct
from base64 import b32encode

from bot.domain.errors import SettingsError

SECRET_BYTES = 32
MIN_SECRET_BYTES = 16
PSEUDONYM_PREFIX = "member-"
# 10 base32 characters = 50 bits: collisions among a server's members are vanishingly unlikely
# (about 1 in 200,000 for 100,000 members) while the label stays short enough to read aloud.
PSEUDONYM_CHARS = 10
_LABEL_BYTES = -(-PSEUDONYM_CHARS * 5 // 8)  # the bytes those characters encode, rounded up: 7

# Versioned label so these HMACs can never be mistaken for another use of the same secret.
_DOMAIN = b"workshop-bot/pseudonym/v1\x00"
_MAX_ID = 2**64 - 1  # Discord snowflakes are unsigned 64-bit integers
_MIN_ID = -(2**63)  # Slack's ids are encoded into negative signed 64-bit integers (bot.domain.platform_ids)
_SIGNED = b"\x01"


# Thread replies are public: anyone in the server can match a reply's text to its author. If they had the
# same pseudonym as the private /answer rows, one matched reply would unmask all of a member's private
# answers in a pseudonymous export. So they get pseudonyms from a separate HMAC domain and prefix.
THREAD_PSEUDONYM_PREFIX = "poster-"
_THREAD_DOMAIN = b"workshop-bot/pseudonym/thread/v1\x00"

# The erasure records (storage/erasures.py) are keyed by a third domain, under a key of their own that never
# rotates (an export's secret may): a record must match its member's messages for as long as it is kept.
_ERASURE_DOMAIN = b"workshop-bot/erasure/v1\x00"


def pseudonym(secret: bytes, community_id: int, user_id: int, *, public_reply: bool = False) -> str:
    """The member's pseudonym in this server, such as ``member-k3x9q2mfa7``.

    With ``public_reply`` (a reply posted in a discussion thread), an unrelated ``poster-...`` pseudonym:
    stable for the member's thread replies, and impossible to join to their private answers.
    """
    _require_secret(secret)
    message = (_THREAD_DOMAIN if public_reply else _DOMAIN) + _encoded_ids(community_id, user_id)
    digest = hmac.new(secret, message, hashlib.sha256).digest()
    prefix = THREAD_PSEUDONYM_PREFIX if public_reply else PSEUDONYM_PREFIX
    # Only the first 50 bits become the label: encoding the first 7 bytes gives the same first 10 characters as
    # encoding all 32, at a fraction of the cost (an export of 10,000 members makes 10,000 of these).
    return prefix + b32encode(digest[:_LABEL_BYTES]).decode("ascii").lower()[:PSEUDONYM_CHARS]


def erasure_pseudonym(secret: bytes, community_id: int, user_id: int) -> str:
    """The key of the member's erasure record in this server: all 64 hex digits of an HMAC-SHA256.

    Never shown to anyone, so kept whole (a collision would silently drop another member's thread messages),
    and from a domain of its own: it cannot be matched to an export's pseudonym even under the same secret.
    """
    _require_secret(secret)
    message = _ERASURE_DOMAIN + _encoded_ids(community_id, user_id)
    return hmac.new(secret, message, hashlib.sha256).hexdigest()


def _encoded_ids(community_id: int, user_id: int) -> bytes:
    for name, value in (("community_id", community_id), ("user_id", user_id)):
        if not _MIN_ID <= value <= _MAX_ID:
            raise ValueError(f"{name} must be a platform id (-2**63 to 2**64-1), not {value}")
    # Fixed-width ids so that no two (community, user) pairs share an encoding. Discord's (non-negative) keep
    # the encoding they always had; Slack's (negative, see platform_ids) are signed and one byte longer, so the
    # two can never meet.
    if community_id >= 0 and user_id >= 0:
        return struct.pack(">QQ", community_id, user_id)
    if community_id < 0 and user_id < 0:
        return _SIGNED + struct.pack(">qq", community_id, user_id)
    raise ValueError("a community and its member are ids of one platform")


def new_secret() -> bytes:
    """A fresh random pseudonym secret."""
    return secrets.token_bytes(SECRET_BYTES)


def secret_to_text(secret: bytes) -> str:
    """The secret as hex, for keeping in settings or the database."""
    _require_secret(secret)
    return secret.hex()


def secret_from_text(text: str) -> bytes:
    """The secret written by ``secret_to_text``; refuses text that is not hex or is too short."""
    cleaned = text.strip()
    try:
        secret = bytes.fromhex(cleaned)
    except ValueError:
        raise SettingsError(
            "The pseudonym secret is not valid: it should be hexadecimal (0-9, a-f), "
            f"{SECRET_BYTES * 2} characters long."
        ) from None
    _require_secret(secret)
    return secret


def _require_secret(secret: bytes) -> None:
    # A short (or empty) key would let anyone rebuild the pseudonyms by trying every Discord id.
    if len(secret) < MIN_SECRET_BYTES:
        raise SettingsError(
            f"The pseudonym secret is too short ({len(secret)} bytes); it needs at least "
            f"{MIN_SECRET_BYTES} random bytes. Generate a new one rather than making one up."
        )
