"""The database's part of the preflight check, the same whichever platforms the bot serves: the erasure key.

A damaged or missing erasure key stops the bot at start (bot/storage/erasures.py); the check says so before
then, with the fix, and changes nothing: it only reads (the key is created by the bot's first start, never here).
"""

from __future__ import annotations

from bot.domain.preflight import Finding, Status
from bot.storage.engine import Database
from bot.storage.erasures import ErasureKeyError, ErasureRecords

ERASURE_KEY_TOPIC = "erasure key"


async def erasure_key_finding(db: Database | None) -> Finding:
    """OK when the key is present and valid, or not created yet (``db`` None: there is no database yet);
    a problem, with its fix, where the start would stop."""
    if db is None:
        return _not_created(0)
    try:
        state = await ErasureRecords(db).inspect()
    except ErasureKeyError as error:
        return Finding(
            Status.PROBLEM,
            ERASURE_KEY_TOPIC,
            f"{error.problem} The bot does not start until it is put right.",
            error.fix,
        )
    if state.created:
        return Finding(Status.OK, ERASURE_KEY_TOPIC, "present and valid.")
    return _not_created(state.to_convert)


def _not_created(to_convert: int) -> Finding:
    text = "not created yet: the bot creates it on its first start"
    if to_convert:
        records = "record" if to_convert == 1 else "records"
        text += f", and then keys the {to_convert} erasure {records} the upgrade carried over"
    return Finding(Status.OK, ERASURE_KEY_TOPIC, f"{text}.")
