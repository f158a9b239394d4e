"""pytest fixtures for the fake Discord.

Register in a conftest with ``pytest_plugins = ["tests.fakediscord.pytest_plugin"]`` (root conftest), or
import the fixture (``from tests.fakediscord.pytest_plugin import fake_discord``).

``fake_discord`` yields a started :class:`FakeDiscord` with discord.py already pointed at it. At
teardown it stops the fake and fails the test (as a teardown error) if the fake hit an internal
error, if the bot called a route the fake does not know, if any recorded request or any answer of
the fake is invalid per Discord's OpenAPI spec, or if a gateway payload does not fit discord.py's
typed payloads. Only the spec part is skipped when the spec file is absent
(``../shared/discord-api-spec/openapi.json`` beside the checkout, or ``$DISCORD_OPENAPI_SPEC``).
"""

from __future__ import annotations

import warnings
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

from .openapi_check import find_spec, get_checker
from .server import FakeDiscord


@pytest.fixture
def strict_archived_threads() -> bool:
    """Whether ``fake_discord`` refuses posts in archived threads (50083) instead of unarchiving them.

    False by default (Discord's documented behaviour). Override it in a test module with a parametrized
    fixture of the same name to run that module's tests under both behaviours::

        @pytest.fixture(params=[False, True], ids=["archived-unarchives", "archived-refuses"])
        def strict_archived_threads(request: pytest.FixtureRequest) -> bool:
            return bool(request.param)
    """
    return False


@pytest_asyncio.fixture
async def fake_discord(strict_archived_threads: bool) -> AsyncIterator[FakeDiscord]:
    """A running FakeDiscord; discord.py is patched to use it for the duration of the test."""
    fake = FakeDiscord()
    fake.strict_archived_threads = strict_archived_threads
    await fake.start()
    restore = fake.patch_discord()
    try:
        yield fake
    finally:
        restore()
        await fake.stop()
    spec = find_spec()
    if spec is None:
        warnings.warn(
            "Discord OpenAPI spec not found: request/response validation skipped (set DISCORD_OPENAPI_SPEC)",
            stacklevel=1,
        )
        problems = fake.problems(check_spec=False)
    else:
        problems = fake.problems(checker=get_checker(spec))
    if problems:
        pytest.fail(
            "fake discord: invalid or unknown requests / internal errors:\n" + "\n".join(problems), pytrace=False
        )
