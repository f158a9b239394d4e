"""Logging: discord.py's handler and format on stderr, an optional file, noisy loggers turned down."""

from __future__ import annotations

import logging
from logging.handlers import RotatingFileHandler
from pathlib import Path

import discord


def setup_logging(level: str, log_file: Path | None = None) -> None:
    discord.utils.setup_logging(level=getattr(logging, level), root=True)
    if log_file is not None:
        log_file.parent.mkdir(parents=True, exist_ok=True)
        handler = RotatingFileHandler(log_file, maxBytes=5_000_000, backupCount=5, encoding="utf-8")
        handler.setFormatter(
            logging.Formatter("[{asctime}] [{levelname:<8}] {name}: {message}", "%Y-%m-%d %H:%M:%S", style="{")
        )
        logging.getLogger().addHandler(handler)
    # The gateway logs every heartbeat at DEBUG, and APScheduler every job run at INFO.
    logging.getLogger("discord.gateway").setLevel(max(logging.INFO, logging.getLogger().level))
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
