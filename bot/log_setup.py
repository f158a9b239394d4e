"""Logging: discord.py's handler and format on stderr, an optional file, noisy loggers turned down."""

from __future__ import annotations

import logging
from logging.handlers import RotatingFileHandler
from pathlib import Path

import discord

PAYLOAD_LOGGERS = ("discord.gateway", "discord.http", "discord.webhook", "discord.client", "discord.state")


def setup_logging(level: str, log_file: Path | None = None) -> None:
    discord.utils.setup_logging(level=getattr(logging, level), root=True)
    if log_file is not None:
        log_file.parent.mkdir(parents=True, exist_ok=True)
        handler = RotatingFileHandler(log_file, maxBytes=5_000_000, backupCount=5, encoding="utf-8")
        handler.setFormatter(
            logging.Formatter("[{asctime}] [{levelname:<8}] {name}: {message}", "%Y-%m-%d %H:%M:%S", style="{")
        )
        logging.getLogger().addHandler(handler)
    # Never log answer text, even at DEBUG: these loggers write whole payloads there (gateway events with
    # modal submissions and thread messages, REST bodies quoting answers, SQL parameters).
    for name in PAYLOAD_LOGGERS:
        logging.getLogger(name).setLevel(max(logging.INFO, logging.getLogger().level))
    logging.getLogger("aiosqlite").setLevel(logging.WARNING)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)  # a line per job run otherwise
