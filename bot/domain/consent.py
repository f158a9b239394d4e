"""What a member is told before their first answer is stored.

Answers are political opinions: a member must know, before the first one is kept, what is stored, who
reads it and how to see and erase it. The notice is shown inside the answer form to members who have not
answered before; sending that first answer is the agreement, recorded with its time. The first
confirmation repeats where to see and delete the data, so a member who somehow answered without seeing
the form's notice (a form opened before they erased their data, say) is still told once.
"""

from __future__ import annotations


def consent_notice(platform: str = "Discord") -> str:
    """The notice in the answer form; ``platform`` names whose user id is stored ("Discord", "Slack")."""
    return (
        "**Before your first answer, what we keep**\n"
        f"- **Stored:** your {platform} user id, your answers (with earlier versions when you edit one) and when you "
        "wrote them. Never your name, nickname or avatar.\n"
        "- **Who sees it:** only the workshop's organisers. Answers sent here are not posted in any channel, and "
        "organisers' exports show a pseudonym instead of who you are unless they deliberately ask for names.\n"
        "- **Your say:** `/mydata show` lists what we hold about you, `/mydata export` gives you a copy, and "
        "`/mydata delete` erases all of it.\n"
        "Sending this form means you agree to this."
    )


def first_answer_note(platform: str = "Discord") -> str:
    """Said once, after the first answer (see the module docstring)."""
    return (
        "This was your first answer, so we noted that you agreed to us keeping your answers with your "
        f"{platform} id "
        "(never your name) for the organisers. `/mydata show` lists what we hold, `/mydata export` gives you a copy "
        "and `/mydata delete` erases it."
    )


CONSENT_NOTICE = consent_notice()
FIRST_ANSWER_NOTE = first_answer_note()
