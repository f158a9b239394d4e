"""Run the bot as its own process for a benchmark, with the baseline no-op command loaded too.

``python -m benchmarks.bot_process ENV_FILE`` — the same start-up as ``python -m bot run``.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from dotenv import dotenv_values

from benchmarks._memory import trace_if_asked
from bot.client import EXTENSIONS
from bot.config import load_settings
from bot.log_setup import setup_logging
from bot.runner import run


def main() -> int:
    trace_if_asked(dotenv_values(sys.argv[1]))  # a memory report asked for (benchmarks/_memory.py)
    settings = load_settings(Path(sys.argv[1]))
    setup_logging(settings.log_level, settings.log_file)
    return asyncio.run(
        run(
            settings,
            database_path=settings.database_url or settings.database_path,
            extensions=(*EXTENSIONS, "benchmarks.noop_cog"),
        )
    )


if __name__ == "__main__":
    sys.exit(main())
