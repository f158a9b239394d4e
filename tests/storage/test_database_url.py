"""A password in DATABASE_URL never reaches a message, a log line or an exception, whatever characters it holds.

Each password is built of distinctive words with arbitrary text between them, so that a leak of any fragment
(a parser that cuts the password at a ``#``, ``/``, ``?`` or ``@`` and shows one side of it) is caught by name.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import logging
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.config import Settings
from bot.domain.errors import UserFacingError
from bot.storage.copy import copy_sqlite_to_postgres
from bot.storage.database_url import check_postgresql_url, redact_url
from bot.storage.engine import open_database
from tests.postgres import free_port
from tests.storage.test_copy_to_postgres import run_command

SECRET_WORDS = ("Quokka7Lantern", "Zebra42Wing", "Mauve9Harbour")

# Arbitrary text between the words, weighted towards what URLs reserve or drivers split on.
_between = st.text(
    alphabet=st.one_of(st.sampled_from("@:/?#[]%&=+ ;'\"\\\t\n"), st.characters(codec="utf-8")), max_size=6
)
passwords = st.tuples(_between, _between, _between, _between).map(
    lambda gaps: gaps[0] + SECRET_WORDS[0] + gaps[1] + SECRET_WORDS[1] + gaps[2] + SECRET_WORDS[2] + gaps[3]
)


def url_forms(password: str, port: int = 5432) -> list[str]:
    """Every way an organiser may write a password into a URL: raw, percent-encoded, in the query."""
    return [
        f"postgresql://bot:{password}@127.0.0.1:{port}/workshops",
        f"postgresql://bot:{quote(password, safe='')}@127.0.0.1:{port}/workshops",
        f"postgres://:{password}@127.0.0.1:{port}/workshops",
        f"postgresql://127.0.0.1:{port}/workshops?password={password}&sslmode=disable",
        f"postgresql://127.0.0.1:{port}/workshops?sslmode=disable&password={quote(password, safe='')}",
        f"postgresql://bot:{password}@127.0.0.1:x{port}/workshops",  # and a bad port besides
        f"mysql://bot:{password}@127.0.0.1/workshops",
        f"bot:{password}@127.0.0.1/workshops",
    ]


def assert_hidden(text: str) -> None:
    for word in SECRET_WORDS:
        assert word not in text, f"{word} leaked in {text!r}"


@contextlib.contextmanager
def logged() -> Iterator[io.StringIO]:
    """Everything logged meanwhile, at every level."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield stream
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


@given(passwords)
def test_redaction_hides_every_fragment_of_any_password(password: str) -> None:
    for url in url_forms(password):
        assert_hidden(redact_url(url))
        try:
            check_postgresql_url(url)
        except ValueError as refused:
            assert_hidden(str(refused))


@given(passwords)
def test_the_settings_never_show_the_password(password: str) -> None:
    for url in url_forms(password):
        try:
            loaded = Settings.from_env({"DATABASE_URL": url})
        except UserFacingError as refused:
            assert_hidden(str(refused))
        else:
            assert_hidden(repr(loaded))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(password=passwords)
def test_a_failed_connection_never_shows_the_password(password: str, tmp_path: Path) -> None:
    port = free_port()  # nothing listens there: every URL the driver can read fails to connect

    async def attempt(url: str) -> str:
        try:
            async with open_database(url):
                pass
        except UserFacingError as refused:
            return str(refused)
        raise AssertionError("a connection to a closed port succeeded")

    for url in url_forms(password, port):
        if not url.startswith(("postgresql://", "postgres://")):
            continue
        with logged() as log:
            message = asyncio.run(attempt(url))
        assert_hidden(message)
        assert_hidden(log.getvalue())


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(password=passwords)
def test_migrate_to_postgres_never_shows_the_password(password: str, tmp_path: Path) -> None:
    source = tmp_path / "bot.sqlite3"

    async def attempt(url: str) -> str:
        async with open_database(source):
            pass
        try:
            await copy_sqlite_to_postgres(source, url)
        except UserFacingError as refused:
            return str(refused)
        raise AssertionError("a copy to a closed port succeeded")

    for url in url_forms(password, free_port()):
        with logged() as log:
            message = asyncio.run(attempt(url))
        assert_hidden(message)
        assert_hidden(log.getvalue())


@pytest.mark.parametrize(
    ("password", "shown"),
    [
        ("pa#ss", "postgresql://***@db/workshops"),
        ("pa/ss", "postgresql://***@db/workshops"),
        ("pa?ss", "postgresql://***@db/workshops"),
        ("p@ss", "postgresql://***@db/workshops"),
        ("p:ss", "postgresql://bot:***@db/workshops"),
    ],
)
def test_a_password_with_a_reserved_character_is_refused_with_the_way_to_write_it(password: str, shown: str) -> None:
    url = f"postgresql://bot:{password}@db/workshops"
    assert redact_url(url) == shown
    if ":" in password:
        assert check_postgresql_url(url) == url  # a colon in a password needs no encoding
        return
    with pytest.raises(ValueError, match="percent-encode") as refused:
        check_postgresql_url(url)
    assert shown in str(refused.value) and "%23" in str(refused.value)


def test_what_follows_a_password_in_the_query_is_shown_only_when_it_reads_as_parameters() -> None:
    assert (
        redact_url("postgresql://db/w?password=a&sslmode=require") == "postgresql://db/w?password=***&sslmode=require"
    )
    assert redact_url("postgresql://db/w?password=a&b=c") == "postgresql://db/w?password=***"
    assert redact_url("postgresql://db/w?password=a&sslmode=require#x") == "postgresql://db/w?password=***"
    assert redact_url("postgresql://user:pass/db") == "postgresql://user:***/db"  # an '@' left out
    assert redact_url("host=db password=s3cret") == "host=db password=***"


@pytest.mark.parametrize("between", ["#", "/?", "@", ":"])
async def test_the_commands_never_print_the_password(tmp_path: Path, between: str) -> None:
    """As an organiser runs them: from .env, and on the command line (migrate-to-postgres --to)."""
    password = SECRET_WORDS[0] + between + SECRET_WORDS[1]
    url = f"postgresql://bot:{password}@127.0.0.1:{free_port()}/workshops"
    source = tmp_path / "bot.sqlite3"
    async with open_database(source):
        pass
    env_file = tmp_path / ".env"
    env_file.write_text(f"DATABASE_URL={url}\nDATABASE_PATH={source}\n", encoding="utf-8")
    for arguments in (
        ("schedule", "--env-file", str(env_file), "--guild", "100000000000000001"),
        ("migrate-to-postgres", "--env-file", str(env_file)),
        ("migrate-to-postgres", "--from", str(source), "--to", url, "--env-file", str(tmp_path / "none.env")),
    ):
        status, out, err = await run_command(*arguments)
        assert status != 0, (arguments, out, err)
        assert_hidden(out + err)
        assert "error: " in err, err
