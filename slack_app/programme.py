"""Members' view of the programme: ``/workshop programme``, ``session N``, ``next`` and ``calendar``. Private
replies, as on Discord. The text is the domain's (bot.domain.programme_text), rendered for Slack."""

from __future__ import annotations

import asyncio
import tempfile
from datetime import datetime
from pathlib import Path

from slack_sdk.models.blocks import Block, SectionBlock

from bot.domain.calendar import programme_to_ics
from bot.domain.errors import NotFoundError, UserFacingError
from bot.domain.programme import MAX_WEEK, ProgrammeRecord, SessionRecord, next_session
from bot.domain.programme_text import (
    programme_lines,
    prompts_text,
    session_heading,
    session_when,
    valid_weeks_text,
)
from slack_app._commands import Call, Router, Subcommand
from slack_app._render import (
    MESSAGE_BLOCKS_LIMIT,
    context,
    escape,
    fit_blocks,
    from_domain,
    header,
    mrkdwn,
    sections,
    shorten,
    slack_date,
)

TIMES_NOTE = "Times are shown in your own time zone."
CALENDAR_FILE = "programme.ics"


def week_argument(call: Call, usage: str) -> int:
    """The week number after the subcommand, or a clear line saying how to give it."""
    if not call.args:
        raise UserFacingError(f"Say which week: `/workshop {usage}`, such as `/workshop {usage.split()[0]} 3`.")
    return parse_number(call.args[0], what="week", maximum=MAX_WEEK)


def parse_number(text: str, *, what: str, maximum: int) -> int:
    if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= maximum:
        raise UserFacingError(f"`{shorten(text, 20)}` is not a {what} number: give a whole number such as 3.")
    return int(text)


def require_week(programme: ProgrammeRecord, week: int) -> SessionRecord:
    session = programme.session_for_week(week)
    if session is None:
        raise NotFoundError(f"There is no week {week} in this programme. Valid weeks: {valid_weeks_text(programme)}.")
    return session


def programme_blocks(programme: ProgrammeRecord, now: datetime) -> list[Block]:
    body = from_domain("\n".join(programme_lines(programme, now)))
    blocks: list[Block] = [header(programme.title), *sections(body)]
    return [*fit_blocks(blocks, MESSAGE_BLOCKS_LIMIT - 1), context(TIMES_NOTE)]


def session_blocks(session: SessionRecord, *, heading: str | None = None, link: str | None = None) -> list[Block]:
    """One session: when, where, how to join, its description and its prompts."""
    fields = [
        mrkdwn(f"*When*\n{from_domain(session_when(session))}"),
        mrkdwn(f"*Where*\n{escape(shorten(session.location, 500))}"),
    ]
    if link:
        fields.append(mrkdwn(f"*Join*\n{escape(shorten(link, 1000))}"))
    blocks: list[Block] = [header(heading or session_heading(session)), SectionBlock(fields=fields)]
    if session.description.strip():
        blocks += sections(from_domain(session.description))
    prompts = prompts_text(session)
    if prompts:
        blocks += sections(from_domain("**Prompts**\n" + "\n".join(prompts)))
        blocks.append(context(from_domain(f"Answer with `/answer {session.week} P` (P: the prompt's number).")))
    return fit_blocks(blocks, more="…and more prompts than Slack shows at once: answer them by number.")


async def send_session(call: Call, session: SessionRecord, *, heading: str | None = None) -> None:
    settings = await call.services.settings.get(session.community_id)
    link = session.meeting_link or settings.meeting_link
    blocks = session_blocks(session, heading=heading, link=link)
    await call.reply(escape(heading or session_heading(session)), blocks)


async def show_programme(call: Call) -> None:
    programme = await call.services.programme.require(call.community_id)
    blocks = await asyncio.to_thread(programme_blocks, programme, call.front.clock())
    await call.reply(escape(programme.title), blocks)


async def show_session(call: Call) -> None:
    week = week_argument(call, "session N")
    programme = await call.services.programme.require(call.community_id)
    await send_session(call, require_week(programme, week))


async def show_next(call: Call) -> None:
    programme = await call.services.programme.require(call.community_id)
    if not programme.sessions:
        await call.reply("The programme has no sessions yet.")
        return
    upcoming = next_session(programme.sessions, call.front.clock())
    if upcoming is None:
        last = max(programme.sessions, key=lambda s: s.start)
        await call.reply(
            f"The programme is over: the last session was {escape(session_heading(last))} on "
            f"{slack_date(last.start)}. Thank you for taking part!"
        )
        return
    await send_session(call, upcoming, heading=f"Next: {session_heading(upcoming)}")


async def send_calendar(call: Call) -> None:
    programme = await call.services.programme.require(call.community_id)
    settings = await call.services.settings.get(call.community_id)
    now = call.front.clock()
    data = await asyncio.to_thread(programme_to_ics, programme, now=now, default_link=settings.meeting_link)
    files = call.front.files
    with tempfile.TemporaryDirectory(prefix="workshop-calendar-") as folder:
        path = Path(folder) / CALENDAR_FILE
        await asyncio.to_thread(path.write_bytes, data)
        await files.send_file(
            call.member_id,
            path,
            title=f"{programme.title} (calendar)",
            comment=(
                f"{len(programme.sessions)} sessions of {programme.title}. Open the file to add them to your calendar; "
                "importing a newer file updates the same entries."
            ),
        )
    await call.reply("The calendar file is in your direct messages with the bot.")


def register(router: Router) -> None:
    router.add(Subcommand("programme", "", "every session of the programme, with its time", show_programme))
    router.add(Subcommand("session", "N", "one session: its time, place, description and prompts", show_session))
    router.add(Subcommand("next", "", "the next session", show_next))
    router.add(Subcommand("calendar", "", "the programme as a calendar file (.ics), sent to you", send_calendar))
