"""What a prompt thread says on Slack: its parent message (the starter) and its closing summary."""

from __future__ import annotations

from bot.domain.answers import shorten
from bot.domain.thread_text import summary_sentence
from bot.services.threads import Starter, Summary
from slack_app._adapters._text import date_token, escape

COLLECTING_NOTICE = (
    "*Reply in this thread to answer.* Each reply is kept as an answer to this question, with your Slack user id "
    "and when you wrote it (never your name or picture); editing or deleting your reply changes or removes it. "
    "Replies are visible to everyone in this channel; the organisers' exports show a pseudonym instead of who you "
    "are unless they deliberately ask for names. `/workshop mydata show` lists what we hold about you and "
    "`/workshop mydata delete` erases all of it. Replying here means you agree to this. To answer privately "
    "instead, press *Answer*."
)
NOT_COLLECTING_NOTICE = (
    "Discuss this question in this thread. Replies here are *not* kept as answers: to give your answer, press "
    "*Answer* or use `/workshop answer` (only the organisers see it)."
)


def quote(text: str) -> str:
    return "\n".join(f"&gt; {line}" for line in escape(text).splitlines() or [""])


def starter_text(starter: Starter) -> str:
    """The parent message: the session, the whole prompt, and what happens to replies (mrkdwn)."""
    session, prompt = starter.session, starter.prompt
    heading = f"Week {session.week} · {escape(shorten(session.title, 100))}"
    return "\n".join(
        [
            f"*{heading}* · question {prompt.number} of {len(session.prompts)}",
            f"Session: {date_token(int(session.start.timestamp()))}",
            "",
            quote(prompt.text),
            "",
            COLLECTING_NOTICE if starter.collect_replies else NOT_COLLECTING_NOTICE,
        ]
    )


def summary_text(summary: Summary) -> str:
    body = summary_sentence(summary.counts, collect_replies=summary.collect_replies)
    # Slack cannot lock a thread: members can still reply, and the bot no longer records what they write.
    return f"*This question is closed.* {body} Replies posted from now on are not recorded."
