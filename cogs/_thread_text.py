"""What a prompt thread says: its starter message and its closing summary (posted by the thread gateway in
cogs/_discord), and the counts the facilitators' replies show."""

from __future__ import annotations

from bot.domain.discord_text import timestamp
from bot.domain.thread_text import summary_sentence
from bot.services.threads import Starter, Summary
from cogs._render import session_heading


def quote(text: str) -> str:
    return "\n".join(f"> {line}" for line in text.splitlines() or [""])


COLLECTING_NOTICE = (
    "**Reply in this thread to answer.** Each reply is kept as an answer to this question, with your Discord user "
    "id and when you wrote it (never your name, nickname or avatar); editing or deleting your message changes or "
    "removes it. Replies are public in this thread; the organisers' exports show a pseudonym instead of who you "
    "are unless they deliberately ask for names. `/mydata show` lists what we hold about you and `/mydata delete` "
    "erases all of it. Replying here means you agree to this. To answer privately instead, press **Answer**."
)
NOT_COLLECTING_NOTICE = (
    "Discuss this question here. Replies in this thread are **not** kept as answers: to give your answer, press "
    "**Answer** or use `/answer` (only the organisers see it)."
)


def starter_content(starter: Starter) -> str:
    """The starter message: the session, the whole prompt, and what happens to replies."""
    session, prompt = starter.session, starter.prompt
    return "\n".join(
        [
            f"**{session_heading(session)}** · question {prompt.number} of {len(session.prompts)}",
            f"Session: {timestamp(session.start)}",
            "",
            quote(prompt.text),
            "",
            COLLECTING_NOTICE if starter.collect_replies else NOT_COLLECTING_NOTICE,
        ]
    )


def summary_content(summary: Summary) -> str:
    body = summary_sentence(summary.counts, collect_replies=summary.collect_replies)
    if summary.collect_replies:
        body += " Replies posted from now on are not kept."
    return f"🔒 **This question is now closed.** {body} Thank you for taking part!"
