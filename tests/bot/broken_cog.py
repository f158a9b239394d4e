"""A cog for tests only: it fails to load."""

from typing import Any


async def setup(bot: Any) -> None:
    raise RuntimeError("this extension is broken on purpose")
