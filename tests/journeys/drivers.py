"""One member's journey, written once: a small protocol of what a member does and sees, with a Discord and a
Slack implementation that do it the way each platform's members do (slash commands, forms, replies)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Protocol

from tests.fakediscord import FakeDiscord, Interaction, Message
from tests.fakeslack import FakeSlack, View
from tests.slack.helpers import action_ids, until, view_showing, visible

DISCORD_ANSWER = "Your answer"


@dataclass(frozen=True)
class Form:
    """An answer form as the member sees it: every text it shows, and what its box holds already."""

    text: str
    prefilled: str | None


class Journey(Protocol):
    platform: str

    async def open_answer_form(self, member: str, week: int, prompt: int) -> Form: ...

    async def send_answer(self, member: str, text: str) -> str:
        """Send the open form; what the member is told (the confirmation, or why it was refused)."""
        ...

    async def my_data(self, member: str) -> str: ...

    async def reminders(self, member: str, setting: str | None = None) -> str:
        """``reminders`` with ``on``/``off`` or nothing; what the member is told (markup removed)."""
        ...

    async def delete_my_data(self, member: str) -> tuple[str, str]:
        """Ask to delete one's data and confirm: the question, then the result (markup removed)."""
        ...

    async def open_conversation(self, facilitator: str, week: int, prompt: str, seeds: list[str]) -> str:
        """Open a conversation with seeds typed in its form; what the facilitator is told (markup removed)."""
        ...

    async def start_voting(self, member: str) -> str:
        """Press Vote on the conversation's post; what the member sees privately (markup removed)."""
        ...

    async def vote(self, member: str, label: str) -> str:
        """Press Agree, Disagree or Pass / unsure; what the member sees next (markup removed)."""
        ...

    async def write_statement(self, member: str, text: str) -> str:
        """Write a statement from the voting screen; what the member is told (markup removed)."""
        ...


def plain(text: str) -> str:
    """Text without either platform's bold (Discord ``**``, Slack ``*``), to compare the words."""
    return text.replace("**", "").replace("*", "")


VOTE_CODES = {"Agree": "a", "Disagree": "d", "Pass / unsure": "p"}


class DiscordJourney:
    platform = "discord"

    def __init__(self, fake: FakeDiscord) -> None:
        self.fake = fake
        self.forms: dict[str, Interaction] = {}
        self.screens: dict[str, Message] = {}  # each member's private voting message

    async def open_answer_form(self, member: str, week: int, prompt: int) -> Form:
        form = await self.fake.slash(member, "answer", week=week, prompt=prompt)
        await form.wait_modal()
        self.forms[member] = form
        return Form("\n".join(form.modal.text_displays), form.modal.field(DISCORD_ANSWER).value)

    async def send_answer(self, member: str, text: str) -> str:
        submission = await self.fake.submit_modal(self.forms.pop(member), {DISCORD_ANSWER: text}, validate=False)
        return str((await submission.final()).content)

    async def my_data(self, member: str) -> str:
        reply = await (await self.fake.slash(member, "mydata show")).final()
        return "\n".join(str(embed.get("description", "")) for embed in reply.embeds)

    async def reminders(self, member: str, setting: str | None = None) -> str:
        options = {} if setting is None else {"setting": setting}
        return plain(str((await (await self.fake.slash(member, "reminders", **options)).final()).content))

    async def delete_my_data(self, member: str) -> tuple[str, str]:
        question = await (await self.fake.slash(member, "mydata delete")).final()
        asked = plain(str(question.content))  # before the click replaces the message
        yes = next(c for c in question.custom_ids if c.endswith(":yes"))
        done = await (await self.fake.click(member, question, yes)).final()
        return asked, plain(str(done.content))

    async def open_conversation(self, facilitator: str, week: int, prompt: str, seeds: list[str]) -> str:
        opened = await self.fake.slash(facilitator, "deliberate open", week=week, prompt=prompt)
        sent = await self.fake.submit_modal(opened, {"Seed statements (optional)": "\n".join(seeds)})
        return plain(str((await sent.final()).content))

    async def start_voting(self, member: str) -> str:
        post = next(m for m in reversed(self.fake.messages_in("general")) if "deliberate:vote:1" in m.custom_ids)
        self.screens[member] = await (await self.fake.click(member, post, "deliberate:vote:1")).final()
        return plain(str(self.screens[member].content))

    async def vote(self, member: str, label: str) -> str:
        screen = self.screens[member]
        cast = next(c for c in screen.custom_ids if re.search(f":{VOTE_CODES[label]}:[01]$", c))
        self.screens[member] = await (await self.fake.click(member, screen, cast)).final()
        return plain(str(self.screens[member].content))

    async def write_statement(self, member: str, text: str) -> str:
        screen = self.screens[member]
        opened = await self.fake.click(member, screen, next(c for c in screen.custom_ids if ":write:" in c))
        sent = await self.fake.submit_modal(opened, {"Your statement": text})
        return plain(str((await sent.final()).content))


class SlackJourney:
    platform = "slack"

    def __init__(self, fake: FakeSlack) -> None:
        self.fake = fake

    async def open_answer_form(self, member: str, week: int, prompt: int) -> Form:
        await self.fake.close_view(member) if self.fake.current_view(member) is not None else None
        await self.fake.slash(member, "/workshop", f"answer {week} {prompt}")
        view = await view_showing(self.fake, member, "Up to 3,000 characters")
        box = next(b for b in view.blocks if b.get("type") == "input")["element"]
        return Form(visible(view), box.get("initial_value"))

    async def send_answer(self, member: str, text: str) -> str:
        view = self.fake.current_view(member)
        assert view is not None
        await self.fake.submit_view(member, {"text": text}, view=view)

        def outcome() -> str | None:
            if view.errors:
                return "\n".join(view.errors.values())
            shown = visible(view)
            settled = "Up to 3,000" not in shown and "Saving your answer" not in shown
            return shown if settled and "your answer" in shown.lower() else None

        return str(await until(self.fake, outcome, "the form's outcome"))

    async def my_data(self, member: str) -> str:
        reply = await (await self.fake.slash(member, "/workshop", "mydata show")).reply()
        return visible(reply)

    async def reminders(self, member: str, setting: str | None = None) -> str:
        reply = await (await self.fake.slash(member, "/workshop", f"reminders {setting or ''}".strip())).reply()
        return plain(reply.text)

    async def delete_my_data(self, member: str) -> tuple[str, str]:
        question = await (await self.fake.slash(member, "/workshop", "mydata delete")).reply()
        asked = plain(question.text)  # before the click replaces the message
        pressed = await self.fake.click(member, "mydata:erase:yes", message=question)
        await until(self.fake, lambda: pressed.responses, "the deletion's result")
        return asked, plain(pressed.responses[-1].text)

    async def open_conversation(self, facilitator: str, week: int, prompt: str, seeds: list[str]) -> str:
        await self.fake.slash(facilitator, "/workshop", f"deliberate open {week} {prompt}")
        form = await view_showing(self.fake, facilitator, "Seed statements")
        await self.fake.submit_view(facilitator, {"seeds": "\n".join(seeds)}, view=form)
        done = visible(await view_showing(self.fake, facilitator, "Opened"))
        await self.fake.close_view(facilitator)
        return slack_plain(done)

    async def start_voting(self, member: str) -> str:
        post = next(m for m in reversed(self.fake.messages_in("general")) if "deliberate:vote:1" in action_ids(m))
        await self.fake.click(member, "deliberate:vote:1", message=post)
        return slack_plain(visible(await view_showing(self.fake, member, "Write a statement")))

    async def vote(self, member: str, label: str) -> str:
        view = self.fake.current_view(member)
        assert view is not None
        before = view.spec
        await self.fake.click(member, _button(view, label), view=view)

        def moved_on() -> str | None:
            now = self.fake.current_view(member)
            return visible(now) if now is not None and now.spec is not before and "Write" in visible(now) else None

        return slack_plain(await until(self.fake, moved_on, f"the voting modal after {label}"))

    async def write_statement(self, member: str, text: str) -> str:
        view = self.fake.current_view(member)
        assert view is not None
        await self.fake.click(member, _button(view, "Write a statement"), view=view)
        form = await view_showing(self.fake, member, "Your statement")
        await self.fake.submit_view(member, {"text": text}, view=form)
        thanks = slack_plain(visible(await view_showing(self.fake, member, "Thank you")))
        await self.fake.close_view(member)  # back to the voting modal
        return thanks


def slack_plain(text: str) -> str:
    """Slack mrkdwn as words: escapes undone, bold and italics removed, quotes as Discord's."""
    text = plain(text).replace("_", "").replace("&gt;", ">").replace("&lt;", "<").replace("&amp;", "&")
    return text


def _button(view: View, label: str) -> str:
    for block in view.blocks:
        for element in block.get("elements") or []:
            if isinstance(element, dict) and element.get("type") == "button" and element["text"]["text"] == label:
                return str(element["action_id"])
    raise AssertionError(f"no {label!r} button in {visible(view)!r}")
