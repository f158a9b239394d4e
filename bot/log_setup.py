"""Logging: discord.py's handler and format on stderr, an optional file, noisy loggers turned down."""

from __future__ import annotations

import logging
import os
import sys
from logging.handlers import RotatingFileHandler
from pathlib import Path
from typing import TextIO

import aiohttp
import discord

PAYLOAD_LOGGERS = ("discord.gateway", "discord.http", "discord.webhook", "discord.client", "discord.state")


# What discord.py meets when the network goes away: it retries on its own, so a traceback per attempt
# (some 60 lines each) says nothing the exception's one line does not.
NETWORK_ERRORS: tuple[type[BaseException], ...] = (
    OSError,
    TimeoutError,
    aiohttp.ClientError,
    discord.ConnectionClosed,
    discord.GatewayNotFound,
)


class NetworkRetriesOnOneLine(logging.Filter):
    """discord.py's "Attempting a reconnect in 5.00s" as one line naming the error, not a traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and isinstance(record.exc_info[1], NETWORK_ERRORS):
            error = record.exc_info[1]
            detail = " ".join(str(error).split()) or "no details"
            record.msg = f"{record.getMessage()} after {type(error).__name__}: {detail}"
            record.args = ()
            record.exc_info = None
            record.exc_text = None
        return True


def plain_formatter() -> logging.Formatter:
    return logging.Formatter("[{asctime}] [{levelname:<8}] {name}: {message}", "%Y-%m-%d %H:%M:%S", style="{")


def wants_colour(stream: TextIO) -> bool:
    """Colour only on a terminal, and not when NO_COLOR is set (https://no-color.org).

    discord.py's own test also colours whenever it runs in Docker, which puts escape codes in log files.
    """
    return stream.isatty() and not os.environ.get("NO_COLOR")


def setup_logging(level: str, log_file: Path | None = None) -> None:
    console = logging.StreamHandler(sys.stderr)
    # A crash's traceback goes to the log file only: the console gets the one-line error from main.
    console.addFilter(lambda record: not getattr(record, "file_only", False))
    if wants_colour(sys.stderr):
        discord.utils.setup_logging(handler=console, level=getattr(logging, level), root=True)
    else:
        discord.utils.setup_logging(
            handler=console, formatter=plain_formatter(), level=getattr(logging, level), root=True
        )
    if log_file is not None:
        log_file.parent.mkdir(parents=True, exist_ok=True)
        handler = RotatingFileHandler(log_file, maxBytes=5_000_000, backupCount=5, encoding="utf-8")
        handler.setFormatter(plain_formatter())
        logging.getLogger().addHandler(handler)
    logging.getLogger("discord.client").addFilter(NetworkRetriesOnOneLine())
    # Never log answer text, even at DEBUG: these loggers write whole payloads there (gateway events with
    # modal submissions and thread messages, REST bodies quoting answers, SQL parameters).
    for name in PAYLOAD_LOGGERS:
        logging.getLogger(name).setLevel(max(logging.INFO, logging.getLogger().level))
    logging.getLogger("aiosqlite").setLevel(logging.WARNING)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)  # a line per job run otherwise
