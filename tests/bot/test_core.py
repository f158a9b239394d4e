"""The core, assembled apart from any front end: each port routes a call to the platform that owns its id."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.config import Settings
from bot.core import Core, NoScheduledEvents, PlatformAdapters, PlatformNotAttachedError, build_core, process_owns
from bot.domain.permissions import Permission
from bot.domain.platform_ids import slack_id_to_int, slack_ts_to_int
from bot.domain.reminder_text import OutgoingMessage
from bot.services.session_events import EventsUnavailable
from bot.storage.engine import Database, SqliteDatabase
from bot.storage.erasures import ERASURE_KEY, ErasureKeyError
from bot.storage.state import StateRepository
from tests.harness import FakeClock

SNOWFLAKE = 41771983423143937
WORKSPACE = slack_id_to_int("T0123ABCD")
SLACK_CHANNEL = slack_id_to_int("C0123ABCD")
SLACK_USER = slack_id_to_int("U0123ABCD")
SLACK_THREAD = slack_ts_to_int("1712345678.123456")


class Recorder:
    """Every port of one platform, recording each call (method, first argument)."""

    def __init__(self, name: str, *, reads_text: bool = True) -> None:
        self.name = name
        self.calls: list[tuple[str, int]] = []
        self.reads_text = reads_text

    def __getattr__(self, method: str) -> Any:
        async def call(first: int, *args: Any, **kwargs: Any) -> Any:
            self.calls.append((method, first))
            return {"display_names": {}, "post_welcome": True, "lock_and_archive": True}.get(method, 1)

        return call

    def reads_message_content(self, thread_id: int) -> bool:
        return self.reads_text

    def missing_permissions(self, community_id: int, needed: Permission) -> Permission | None:
        self.calls.append(("missing_permissions", community_id))
        return None


def adapters(recorder: Recorder, *, events: bool = True) -> PlatformAdapters:
    port: Any = recorder
    return PlatformAdapters(
        threads=port, reminders=port, names=port, retention=port, welcome=port, events=port if events else None
    )


@pytest.fixture
async def sqlite(tmp_path: Path) -> AsyncIterator[Database]:
    async with SqliteDatabase.open(tmp_path / "core.sqlite3") as db:
        yield db


async def test_each_call_goes_to_the_platform_that_owns_its_id(sqlite: Database) -> None:
    discord, slack = Recorder("discord"), Recorder("slack")
    core = build_core(
        Settings(), sqlite, adapters={"discord": adapters(discord), "slack": adapters(slack, events=False)}
    )
    sender = core.services.reminders._sender
    await sender.send_to_channel(SLACK_CHANNEL, OutgoingMessage(content="hello", community_id=WORKSPACE), nonce="n")
    await sender.send_to_member(SNOWFLAKE, OutgoingMessage(content="hello", community_id=SNOWFLAKE), nonce="n")
    await sender.find_in_dms(SLACK_USER, community_id=WORKSPACE, nonce="n", digest="d", after=None)
    names = core.services.exports._names
    assert names is not None
    await names.display_names(WORKSPACE, [SLACK_USER])
    await names.display_names(SNOWFLAKE, [SNOWFLAKE])
    gateway = core.services.threads._gateway
    await gateway.thread_history(SLACK_THREAD, limit=10)
    await gateway.post_summary(SNOWFLAKE, None)  # type: ignore[arg-type]
    assert await core.services.communities._welcome.post_welcome(WORKSPACE)  # type: ignore[union-attr]
    assert slack.calls == [
        ("send_to_channel", SLACK_CHANNEL),
        ("find_in_dms", SLACK_USER),
        ("display_names", WORKSPACE),
        ("thread_history", SLACK_THREAD),
        ("post_welcome", WORKSPACE),
    ]
    assert discord.calls == [("send_to_member", SNOWFLAKE), ("display_names", SNOWFLAKE), ("post_summary", SNOWFLAKE)]


async def test_a_platform_without_scheduled_events_lists_none_and_refuses_changes(sqlite: Database) -> None:
    slack = Recorder("slack")
    core = build_core(Settings(), sqlite, adapters={"slack": adapters(slack, events=False)})
    port = core.services.events._port
    assert port.missing_permissions(WORKSPACE, Permission(0)) is None
    assert await port.interested(WORKSPACE, 1) == []
    with pytest.raises(EventsUnavailable):
        await port.list_events(WORKSPACE)
    assert not core.has_scheduled_events(WORKSPACE)
    assert isinstance(NoScheduledEvents(), NoScheduledEvents)
    assert slack.calls == []


async def test_an_id_of_a_platform_not_attached_is_refused_not_sent_elsewhere(sqlite: Database) -> None:
    discord = Recorder("discord")
    core = build_core(Settings(), sqlite, adapters={"discord": adapters(discord)})
    with pytest.raises(PlatformNotAttachedError, match="slack"):
        await core.services.reminders._sender.send_to_channel(
            SLACK_CHANNEL, OutgoingMessage(content="x", community_id=WORKSPACE), nonce="n"
        )
    assert discord.calls == []


async def test_a_reminder_goes_to_its_community_s_platform_whatever_its_target_s_id(sqlite: Database) -> None:
    """A Discord server's reminder whose stored channel is a Slack id (a copied database, or a bug) is handed to
    Discord's sender, which judges it as none of the server's own; Slack never sees it. And the reverse."""
    discord, slack = Recorder("discord"), Recorder("slack")
    core = build_core(
        Settings(), sqlite, adapters={"discord": adapters(discord), "slack": adapters(slack, events=False)}
    )
    sender = core.services.reminders._sender
    await sender.send_to_channel(SLACK_CHANNEL, OutgoingMessage(content="x", community_id=SNOWFLAKE), nonce="n")
    await sender.send_to_member(SLACK_USER, OutgoingMessage(content="x", community_id=SNOWFLAKE), nonce="n")
    await sender.find_in_channel(SLACK_CHANNEL, community_id=SNOWFLAKE, nonce="n", digest="d", after=None)
    await sender.send_to_channel(SNOWFLAKE, OutgoingMessage(content="x", community_id=WORKSPACE), nonce="n")
    await sender.find_in_dms(SNOWFLAKE, community_id=WORKSPACE, nonce="n", digest="d", after=None)
    assert discord.calls == [
        ("send_to_channel", SLACK_CHANNEL),
        ("send_to_member", SLACK_USER),
        ("find_in_channel", SLACK_CHANNEL),
    ]
    assert slack.calls == [("send_to_channel", SNOWFLAKE), ("find_in_dms", SNOWFLAKE)]
    with pytest.raises(ValueError, match="community"):  # a message naming no community is a bug: sent nowhere
        await sender.send_to_channel(SNOWFLAKE, OutgoingMessage(content="x"), nonce="n")
    assert len(discord.calls) + len(slack.calls) == 5


async def test_the_core_needs_a_known_platform(sqlite: Database) -> None:
    with pytest.raises(ValueError, match="at least one"):
        build_core(Settings(), sqlite, adapters={})
    with pytest.raises(ValueError, match="unknown platform"):
        build_core(Settings(), sqlite, adapters={"irc": adapters(Recorder("irc"))})  # type: ignore[dict-item]


def test_whether_members_text_arrives_is_asked_of_the_thread_s_own_platform() -> None:
    # Discord without the Message Content intent must not stop Slack's thread catch-up in the same process.
    discord, slack = Recorder("discord", reads_text=False), Recorder("slack")
    core_ports = {"discord": adapters(discord), "slack": adapters(slack)}
    from bot.core import routers_for

    threads = routers_for(core_ports).threads  # type: ignore[arg-type]
    assert not threads.reads_message_content(1146711541437288529)  # a Discord thread
    assert threads.reads_message_content(slack_ts_to_int("1712345678.123456"))  # a Slack thread


def test_a_process_owns_its_shards_servers_and_the_workspaces_it_serves() -> None:
    sharded = Settings(shard_count=2, shard_ids=(1,))
    shard_1 = next(g for g in range(1 << 22, 1 << 30, 1 << 22) if (g >> 22) % 2 == 1)
    owns = process_owns(sharded, frozenset({"discord", "slack"}))
    assert owns(shard_1) and not owns(shard_1 + (1 << 22))
    assert owns(WORKSPACE)  # a workspace belongs to no shard: the process serving Slack owns it
    assert not process_owns(sharded, frozenset({"discord"}))(WORKSPACE)
    assert not process_owns(Settings(), frozenset({"slack"}))(shard_1)


async def test_start_serves_every_platforms_communities_and_close_stops_the_jobs(
    sqlite: Database, tmp_path: Path
) -> None:
    clock = FakeClock()
    discord, slack = Recorder("discord"), Recorder("slack")
    core: Core = build_core(
        Settings(programme_file=tmp_path / "none.toml"),
        sqlite,
        adapters={"discord": adapters(discord), "slack": adapters(slack, events=False)},
        clock=clock,
    )
    await core.services.communities.repository.record_present(WORKSPACE, clock(), joined=True)
    await core.services.communities.repository.record_present(SNOWFLAKE, clock(), joined=True)
    await core.start()
    await core.start()  # once only
    try:
        assert core.services.communities.served() == {WORKSPACE, SNOWFLAKE}
        assert {job.id for job in core.scheduler.get_jobs()} >= {"retention", "departed-servers", "session-events"}
        row = await sqlite.fetchone("SELECT platform, external_id FROM communities WHERE id = ?", (WORKSPACE,))
        assert row is not None and tuple(row) == ("slack", "T0123ABCD")
    finally:
        await core.close()
        await core.close()  # safe twice
    await asyncio.sleep(0)  # APScheduler's asyncio shutdown runs on the loop's next turn
    assert not core.scheduler.running


async def test_a_damaged_erasure_key_stops_the_start_before_anything_runs(sqlite: Database, tmp_path: Path) -> None:
    """Rather than catch up threads with erasure records it cannot match (storage/erasures.py)."""
    await StateRepository(sqlite).set(ERASURE_KEY, "not a key")
    discord = Recorder("discord")
    core = build_core(Settings(programme_file=tmp_path / "none.toml"), sqlite, adapters={"discord": adapters(discord)})
    with pytest.raises(ErasureKeyError, match=r"The erasure key in the database .* is damaged"):
        await core.start()
    assert discord.calls == [] and not core.scheduler.running
    await core.close()
