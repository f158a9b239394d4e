"""``/workshop threads open|close|status N``: facilitators run a week's discussion threads. The thread service
does the work (posting each prompt's parent message in the discussion channel goes through the Slack thread
gateway, slack_app/_adapters); this module routes the command and reports what happened, privately.

Slack cannot lock a thread: ``close`` posts the summary in each thread and stops collecting replies.
"""

from __future__ import annotations

from bot.domain.errors import UserFacingError
from bot.domain.import_preview import plural
from bot.domain.platform_ids import slack_id_to_int
from bot.domain.programme_text import session_heading
from bot.services.threads import Closed
from slack_app._commands import Call, Router, Subcommand
from slack_app._render import escape, from_domain, shorten
from slack_app._roles import Role
from slack_app.programme import parse_number, require_week

ACTIONS = ("open", "close", "status")
# How each thread's close reads on Slack: it has no locked or archived threads (the gateway locks nothing), so
# Discord's "closed and locked" and "archived, not locked" are both just closed here.
CLOSED_WORDS = {Closed.CLOSED: "closed", Closed.ARCHIVED: "closed"}


def _counts(counts: object) -> str:
    contributions = getattr(counts, "contributions", 0)
    contributors = getattr(counts, "contributors", 0)
    replies = f"{contributions} repl{'y' if contributions == 1 else 'ies'}"
    return f"{replies} from {plural(contributors, 'member')}"


async def threads_command(call: Call) -> None:
    if len(call.args) < 2 or call.args[0].lower() not in ACTIONS:
        raise UserFacingError("Use `/workshop threads open N`, `threads close N` or `threads status N` (N: the week).")
    action = call.args[0].lower()
    week = parse_number(call.args[1], what="week", maximum=10_000)
    programme = await call.services.programme.require(call.community_id)
    session = require_week(programme, week)
    service = call.services.threads
    heading = f"*{escape(session_heading(session))}*"
    if action == "open":
        # Without a discussion channel set, the threads go where the command was typed, as on Discord.
        here = slack_id_to_int(call.channel_id) if call.channel_id else None
        report = await service.open_week(session, here_channel_id=here, collect_replies=True)
        where = from_domain(f" in <#{report.channel_id}>") if report.channel_id is not None else ""
        lines = [f"{heading}: one thread per question{where}."]
        lines += [f"*Q{o.prompt.number}* · {escape(o.result.value)}" for o in report.outcomes]
        lines += [from_domain(f"⚠️ {problem}") for problem in report.problems]
    elif action == "close":
        closed = await service.close_week(session)
        lines = [f"{heading}: closing the question threads (Slack cannot lock a thread: replies stop counting)."]
        lines += [
            f"*Q{o.prompt.number}* · {escape(CLOSED_WORDS.get(o.result, o.result.value))} · {_counts(o.counts)}"
            + (f" · {escape(shorten(o.problem, 200))}" if o.problem else "")
            for o in closed.outcomes
        ]
    else:
        status = await service.status(session)
        if all(line.thread is None for line in status):
            lines = [f"{heading} has no question threads yet. Open them with `/workshop threads open {week}`."]
        else:
            lines = [f"{heading}: question threads."]
            lines += [
                f"*Q{line.prompt.number}* · "
                + ("no thread" if line.thread is None else f"{escape(str(line.thread.state))} · {_counts(line.counts)}")
                for line in status
            ]
    await call.reply("\n".join(lines))


def register(router: Router) -> None:
    router.add(
        Subcommand(
            "threads",
            "open|close|status N",
            "a week's discussion threads, one per prompt",
            threads_command,
            Role.FACILITATOR,
        )
    )
