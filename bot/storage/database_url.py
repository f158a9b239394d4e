"""DATABASE_URL: checking a PostgreSQL URL, and showing it without its password.

Pure string work, shared by the settings (a malformed URL is a settings error) and the engine (which names the
database in its messages). A URL is only ever logged or shown through ``redact_url``.

Redaction does not trust a URL parser: a password is whatever an organiser typed, and one with an unencoded
``#``, ``/``, ``?`` or ``@`` makes ``urllib`` (and the driver) read part of it as the host, the port, the path or
the fragment. So the user information is taken to run from ``scheme://`` to the *last* ``@`` (a password may hold
every character but that is the widest reading), and when it holds a character a URL reserves, where the user name
ends is unknowable and all of it is hidden. Hiding too much is a lesser harm than showing a password.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import urlsplit

POSTGRESQL_SCHEMES = ("postgresql", "postgres")
HIDDEN = "***"
URL_FORM = "postgresql://USER:PASSWORD@HOST:PORT/DATABASE"

# Characters that end the user information when a parser reads a URL (RFC 3986, 3.2): in a user name or password
# they must be percent-encoded (``@`` as %40, ``/`` as %2F, ``?`` as %3F, ``#`` as %23, ``[`` %5B, ``]`` %5D).
_RESERVED_IN_USERINFO = frozenset("@/?#[]")
ENCODING_HINT = "percent-encode @ / ? # [ ] in the user name or password (@ as %40, / as %2F, ? as %3F, # as %23)"

# A query parameter (or libpq keyword) that holds a secret: password, sslpassword, ...
_SECRET_PARAMETER = re.compile(r"(?:^|(?<=[?&;\s]))([A-Za-z_]*password)\s*=", re.IGNORECASE)
# libpq's connection parameters: text after a password's value is shown again only if it reads as these, since
# a password may itself hold an unencoded ``&`` (what follows would then be the rest of it).
_LIBPQ_PARAMETERS = frozenset({
    "host", "hostaddr", "port", "dbname", "user", "passfile", "channel_binding", "connect_timeout",
    "client_encoding", "options", "application_name", "fallback_application_name", "keepalives", "keepalives_idle",
    "keepalives_interval", "keepalives_count", "tcp_user_timeout", "replication", "gssencmode", "sslmode",
    "requiressl", "sslcompression", "sslcert", "sslkey", "sslrootcert", "sslcrl", "sslcrldir", "sslsni",
    "requirepeer", "ssl_min_protocol_version", "ssl_max_protocol_version", "krbsrvname", "gsslib", "gssdelegation",
    "service", "target_session_attrs", "load_balance_hosts", "server_settings",
})  # fmt: skip
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://")
_PLAIN_PARAMETERS = re.compile(r"(?:&[A-Za-z_]+=[^&#?@/\s]*)*")


def is_postgresql_url(value: str) -> bool:
    return value.split("://", 1)[0].lower() in POSTGRESQL_SCHEMES and "://" in value


def _split(url: str) -> tuple[str, str | None, str]:
    """``(scheme://, user information or None, the rest)``, the user information as wide as it can be read."""
    scheme = _SCHEME.match(url)  # at the start only: a password may hold "://" too
    start = scheme.end() if scheme else 0
    remainder = url[start:]
    at = remainder.rfind("@")
    if at < 0:
        return url[:start], None, remainder
    return url[:start], remainder[:at], remainder[at + 1 :]


def _userinfo_secret(url: str) -> range | None:
    """Where the password is in the user information; all of it when the user name's end cannot be told (or the
    URL is not a PostgreSQL URL, whose parts cannot be trusted: ``bot://secret@host`` may be ``bot:PASSWORD``)."""
    head, userinfo, _ = _split(url)
    if userinfo is None:
        return None
    start = len(head)
    if not is_postgresql_url(url) or _RESERVED_IN_USERINFO.intersection(userinfo):
        return range(start, start + len(userinfo))
    colon = userinfo.find(":")
    return range(start + colon + 1, start + len(userinfo)) if colon >= 0 else None


def _unreadable_port(url: str) -> range | None:
    """Without an ``@``, ``user:password/…`` reads as host ``user`` and port ``password``: a port that is not digits
    is hidden, since it may be a password whose ``@`` was left out."""
    head, userinfo, rest = _split(url)
    if userinfo is not None:
        return None
    end = min((i for i in (rest.find(c) for c in "/?#") if i >= 0), default=len(rest))
    colon = rest.rfind(":", 0, end)
    port = rest[colon + 1 : end]
    if colon < 0 or "]" in port or port.isdigit():
        return None
    return range(len(head) + colon + 1, len(head) + end)


def _secret_parameters(url: str) -> Iterator[range]:
    """The values of ``password=`` (and ``sslpassword=``...) parameters: to the next ``&`` when what follows reads
    as libpq's parameters, else to the end (a password may hold an unencoded ``&``, and what follows be its rest)."""
    for found in _SECRET_PARAMETER.finditer(url):
        cut = url.find("&", found.end())
        following = url[cut:] if cut >= 0 else ""
        plain = following and _PLAIN_PARAMETERS.fullmatch(following) and _only_libpq(following)
        yield range(found.end(), cut if plain else len(url))


def _only_libpq(parameters: str) -> bool:
    names = [item.partition("=")[0].lower() for item in parameters.split("&") if item]
    return all(name in _LIBPQ_PARAMETERS or name.endswith("password") for name in names)


def redact_url(url: str) -> str:
    """The URL with every password (and anything that may be part of one) replaced by ``***``, safe to show.

    The places a password may be are found in the URL as written, each on its own, and all of them hidden.
    """
    hidden = [False] * len(url)
    spans = [_userinfo_secret(url), _unreadable_port(url), *_secret_parameters(url)]
    for span in spans:
        for index in span or ():
            hidden[index] = True
    shown: list[str] = []
    for index, character in enumerate(url):
        if not hidden[index]:
            shown.append(character)
        elif index == 0 or not hidden[index - 1]:
            shown.append(HIDDEN)
    return "".join(shown)


def check_postgresql_url(url: str) -> str:
    """The URL if it is a usable PostgreSQL URL; else ValueError saying what is wrong (without the password)."""
    shown = redact_url(url)
    if not is_postgresql_url(url):
        raise ValueError(f"DATABASE_URL must start with postgresql:// (got {shown}); for SQLite use DATABASE_PATH")
    _, userinfo, _ = _split(url)
    if "#" in url or (userinfo is not None and _RESERVED_IN_USERINFO.intersection(userinfo)):
        # PostgreSQL's URLs have no fragment: a ``#`` is always a password's (or a user name's) unencoded character.
        raise ValueError(f"DATABASE_URL cannot be read ({shown}): {ENCODING_HINT}")
    try:
        parts = urlsplit(url)
    except ValueError:  # its message quotes the URL: never shown
        raise ValueError(f"DATABASE_URL is not a valid URL ({shown}): expected {URL_FORM}; {ENCODING_HINT}") from None
    try:
        port = parts.port
    except ValueError:  # not a number in 0..65535; the message quotes it, and it may be part of a password
        raise ValueError(
            f"DATABASE_URL is not a valid URL ({shown}): its port is not a number from 1 to 65535"
        ) from None
    if not parts.hostname and "host=" not in parts.query:
        raise ValueError(f"DATABASE_URL names no server: {URL_FORM}, got {shown}")
    if port == 0:
        raise ValueError(f"DATABASE_URL has port 0 ({shown})")
    if not parts.path.strip("/"):
        raise ValueError(f"DATABASE_URL names no database: {URL_FORM}, got {shown}")
    return url
