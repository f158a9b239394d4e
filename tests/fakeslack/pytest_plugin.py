"""pytest fixture for the local Slack.

Register it with ``pytest_plugins = ["tests.fakeslack.pytest_plugin"]`` in a conftest (the fake's own tests do
so in ``tests/fakeslack/conftest.py``), or import the fixture.

``fake_slack`` yields a started :class:`FakeSlack`. At teardown it stops the fake and fails the test (as a
teardown error) on an internal error of the fake, a call to a method the fake does not know, socket misuse
(acks of unknown envelopes, payloads where none is accepted), and any call, answer or event that does not fit
Slack's published descriptions (``../shared/slack-api-spec/``; only that check is skipped, with a warning,
when the documents are absent).
"""

from __future__ import annotations

import warnings
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

from .openapi_check import get_checker
from .server import FakeSlack


@pytest_asyncio.fixture
async def fake_slack() -> AsyncIterator[FakeSlack]:
    fake = FakeSlack()
    await fake.start()
    try:
        yield fake
    finally:
        await fake.stop()
    checker = get_checker()
    if checker is None:
        warnings.warn("Slack API descriptions not found (../shared/slack-api-spec): validation skipped", stacklevel=1)
    problems = fake.problems(checker=checker)
    if problems:
        pytest.fail("fake slack: invalid or unknown calls / internal errors:\n" + "\n".join(problems), pytrace=False)
