"""Rate limits in the fake, as developers/topics/rate-limits.mdx describes them."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
import discord
from discord.ext import commands

from tests.fakediscord import GUILD_ID, FakeDiscord
from tests.fakediscord.ratelimits import TYPICAL_ROUTE_LIMITS

HEADERS = ("X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset", "X-RateLimit-Reset-After")


def make_bot() -> commands.Bot:
    intents = discord.Intents.default()
    return commands.Bot(command_prefix="!", intents=intents, guild_ready_timeout=0.01, help_command=None)


async def post(fake: FakeDiscord, channel: str, content: str) -> tuple[int, Any, Any]:
    """POST a message as the bot would, outside discord.py (which would wait or retry on its own)."""
    url = f"{fake.api_base}/channels/{fake.channel(channel).id}/messages"
    headers = {"Authorization": "Bot fake-bot-token"}
    async with aiohttp.ClientSession() as http, http.post(url, json={"content": content}, headers=headers) as r:
        return r.status, r.headers, await r.json()


async def test_every_response_carries_the_rate_limit_headers(fake_discord: FakeDiscord) -> None:
    """topics/rate-limits.mdx, "Header Format": Limit, Remaining, Reset, Reset-After and Bucket; the bucket is
    the same for a route whatever its top-level resource, which is counted on its own ("Per-route rate limits":
    "/channels/1234" and "/channels/9876" are limited independently)."""
    status, first, _ = await post(fake_discord, "general", "one")
    assert status == 200 and all(h in first for h in (*HEADERS, "X-RateLimit-Bucket"))
    _, second, _ = await post(fake_discord, "general", "two")
    _, elsewhere, _ = await post(fake_discord, "reminders", "three")
    assert first["X-RateLimit-Bucket"] == second["X-RateLimit-Bucket"] == elsewhere["X-RateLimit-Bucket"]
    assert int(second["X-RateLimit-Remaining"]) == int(first["X-RateLimit-Remaining"]) - 1
    assert elsewhere["X-RateLimit-Remaining"] == first["X-RateLimit-Remaining"]
    fake_discord.allow_unchecked("POST", r"/channels/1/messages$")
    url = f"{fake_discord.api_base}/channels/1/messages"
    async with (
        aiohttp.ClientSession() as http,
        http.post(url, json={"content": "x"}, headers={"Authorization": "Bot t"}) as r,
    ):
        assert r.status == 404 and all(h in r.headers for h in HEADERS)  # errors too


async def test_an_exhausted_bucket_answers_429_in_the_documented_shape(fake_discord: FakeDiscord) -> None:
    """topics/rate-limits.mdx, "Exceeding A Rate Limit" (Example Exceeded User Rate Limit Response): body
    ``{message, retry_after, global: false}``, ``Retry-After``, ``X-RateLimit-Scope: user`` and the route's
    headers; another channel's bucket is untouched."""
    fake_discord.set_route_limits({"POST /channels/{channel_id}/messages": (2, 0.5)})
    assert [(await post(fake_discord, "general", str(n)))[0] for n in range(2)] == [200, 200]
    status, headers, body = await post(fake_discord, "general", "third")
    assert status == 429
    assert body["global"] is False and body["message"] == "You are being rate limited."
    assert 0 < body["retry_after"] <= 0.5
    assert headers["X-RateLimit-Scope"] == "user" and headers["X-RateLimit-Remaining"] == "0"
    assert "Retry-After" in headers and "Via" in headers and "X-RateLimit-Global" not in headers
    assert (await post(fake_discord, "reminders", "other channel"))[0] == 200
    await asyncio.sleep(body["retry_after"])
    assert (await post(fake_discord, "general", "after the reset"))[0] == 200
    assert fake_discord.stats.route_rate_limited == 1


async def test_discord_py_keeps_to_the_buckets_it_is_told_about(fake_discord: FakeDiscord) -> None:
    """topics/rate-limits.mdx: an app that parses the headers does not meet 429s; the fake's typical limits
    are small enough for a burst to need that."""
    fake_discord.set_route_limits(TYPICAL_ROUTE_LIMITS)
    fake_discord.set_route_limits({"POST /channels/{channel_id}/messages": (2, 0.3)})
    async with fake_discord.run_bot(make_bot()) as bot:
        channel = bot.get_channel(fake_discord.channel("reminders").id)
        assert isinstance(channel, discord.TextChannel)
        for n in range(5):
            await channel.send(f"reminder {n}")
        assert len(fake_discord.messages_in("reminders")) == 5
        assert [r.status for r in fake_discord.requests_matching("POST", r"/messages$")] == [200] * 5


async def test_shared_and_global_429_shapes_are_retried(fake_discord: FakeDiscord) -> None:
    """topics/rate-limits.mdx: "Example Exceeded Resource Rate Limit Response" (scope shared, "The resource is
    being rate limited.") and "Example Exceeded Global Rate Limit Response" (X-RateLimit-Global, scope global,
    global: true); with ``Via`` discord.py sleeps retry_after and retries both."""
    async with fake_discord.run_bot(make_bot()) as bot:
        channel = bot.get_channel(fake_discord.channel("general").id)
        assert isinstance(channel, discord.TextChannel)
        shared = fake_discord.fail_next("POST", r"/messages$", 429, scope="shared", retry_after=0.05)
        glob = fake_discord.fail_next("POST", r"/messages$", 429, scope="global", retry_after=0.05)
        await channel.send("after two 429s")
        statuses = [r.status for r in fake_discord.requests_matching("POST", r"/messages$")]
        assert statuses == [429, 429, 200]
        assert shared.hits[0].response["message"] == "The resource is being rate limited."
        assert glob.hits[0].response["global"] is True
    status, headers, body = await _global_429(fake_discord)
    assert status == 429 and body["global"] is True
    assert headers["X-RateLimit-Global"] == "true" and headers["X-RateLimit-Scope"] == "global"
    assert "X-RateLimit-Bucket" not in headers


async def _global_429(fake: FakeDiscord) -> tuple[int, Any, Any]:
    fake.set_rate_limit(per_second=1, window=1.0)
    await post(fake, "general", "uses the one slot")
    return await post(fake, "general", "over the global limit")


async def test_opening_dms_too_fast_is_a_40003_rate_limit(fake_discord: FakeDiscord) -> None:
    """topics/opcodes-and-status-codes.mdx, JSON error code 40003 "You are opening direct messages too fast";
    a rate limit response may carry a ``code`` (topics/rate-limits.mdx, "Rate Limit Response Structure")."""
    fake_discord.set_dm_open_limit(1, per=0.2)
    async with fake_discord.run_bot(make_bot()) as bot:
        for name in ("alice", "bob"):
            await bot.create_dm(discord.Object(fake_discord.user(name).id))
        opens = fake_discord.requests_matching("POST", r"^/users/@me/channels$")
        assert [r.status for r in opens] == [200, 429, 200]
        assert opens[1].response["code"] == 40003 and opens[1].response["global"] is False
        assert fake_discord.stats.dm_rate_limited == 1
        guild = bot.get_guild(GUILD_ID)
        assert guild is not None
