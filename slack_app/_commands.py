"""``/workshop``: one slash command whose subcommands are named as the Discord commands.

Every invocation is acknowledged first (Slack's 3 seconds: docs.slack.dev, "Implementing slash commands",
"Responding to the command"), then parsed, checked and run; replies go to the command's ``response_url`` as
ephemeral messages (only the member sees them). Errors become one clear private line, the way the Discord
front end's command tree does it: a UserFacingError shows its own message, a refusal says who may, anything
else is logged with an error id the member can quote.
"""

from __future__ import annotations

import difflib
import logging
import secrets
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.models.blocks import Block

from bot.domain.errors import UserFacingError
from bot.domain.platform_ids import slack_id_to_int
from slack_app._context import SlackContext, team_of, user_of
from slack_app._render import SLASH_COMMAND, bot_words, escape, fallback_text, from_domain, sections, shorten
from slack_app._roles import Role

if TYPE_CHECKING:
    from bot.core import Services

log = logging.getLogger(__name__)

ROLE_NAMES = {Role.FACILITATOR: "facilitators", Role.ORGANISER: "organisers"}
WHO_MAY = {
    Role.FACILITATOR: "the facilitator user group, or organisers",
    Role.ORGANISER: "workspace admins and owners, and the organiser user group",
}


class NotAllowedError(UserFacingError):
    """The member's role does not allow the subcommand."""


@dataclass
class Call:
    """One run of a subcommand: who, where, with which words, and how to answer privately."""

    front: SlackContext
    user_id: str  # Slack's U… id (for API calls)
    member_id: int  # the same as a neutral id (for the services)
    community_id: int
    channel_id: str | None
    args: list[str]
    trigger_id: str | None
    respond: AsyncRespond
    role: Role = Role.MEMBER

    @property
    def services(self) -> Services:
        return self.front.services

    async def reply(self, text: str, blocks: Sequence[Block] | None = None) -> None:
        """A private reply; ``text`` is already Slack mrkdwn (escaped)."""
        if blocks is None:
            blocks = sections(text)
        await self.respond(
            text=fallback_text(text), blocks=list(blocks), response_type="ephemeral", replace_original=False
        )

    async def say(self, domain_text: str) -> None:
        """A private reply from the domain's wording (escaped and turned into Slack's)."""
        await self.reply(from_domain(bot_words(domain_text)))


Handler = Callable[[Call], Awaitable[None]]


@dataclass(frozen=True)
class Subcommand:
    name: str
    usage: str  # after the name: "N", "[N [P]]", "on|off"
    summary: str
    handler: Handler
    role: Role = Role.MEMBER
    # Opens a modal: the trigger expires in 3 s, so the modal opens before the role is checked (the handler
    # checks it and fills the modal with the form or the refusal).
    opens_modal: bool = False
    # What help shows for a role, when it differs by role: (usage, summary).
    usage_by_role: Callable[[Role], tuple[str, str]] | None = None

    def help_for(self, role: Role) -> tuple[str, str]:
        return (self.usage, self.summary) if self.usage_by_role is None else self.usage_by_role(role)


@dataclass
class Router:
    subcommands: dict[str, Subcommand] = field(default_factory=dict)

    def add(self, subcommand: Subcommand) -> None:
        self.subcommands[subcommand.name] = subcommand

    def visible_to(self, role: Role) -> list[Subcommand]:
        return [s for s in self.subcommands.values() if s.role <= role]


def help_text(router: Router, role: Role) -> str:
    """What this member may run, one line each (mrkdwn)."""
    lines = [f"*{SLASH_COMMAND}* — the workshop programme, your answers and reminders. What you can run:"]
    for sub in router.visible_to(role):
        usage, summary = sub.help_for(role)
        usage = f" {usage}" if usage else ""
        lines.append(f"• `{SLASH_COMMAND} {sub.name}{usage}` — {escape(summary)}")
    if role is Role.MEMBER:
        lines.append("Facilitators and organisers see more here.")
    return "\n".join(lines)


def register(app: AsyncApp, front: SlackContext, router: Router) -> None:
    async def show_help(call: Call) -> None:
        await call.reply(help_text(router, call.role))

    router.add(Subcommand("help", "", "this list: what you can run", show_help))

    @app.command(SLASH_COMMAND)
    async def workshop(ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond) -> None:
        await ack()  # first: Slack's 3 seconds; everything else follows
        await run_command(front, router, body, respond)


async def run_command(front: SlackContext, router: Router, body: dict[str, Any], respond: AsyncRespond) -> None:
    words = str(body.get("text") or "").split()
    name = words[0].lower() if words else "help"
    call: Call | None = None
    try:
        user_id = user_of(body)
        community_id = front.community_of(team_of(body))
        call = Call(
            front=front,
            user_id=user_id,
            member_id=slack_id_to_int(user_id),
            community_id=community_id,
            channel_id=body.get("channel_id"),
            args=words[1:],
            trigger_id=body.get("trigger_id"),
            respond=respond,
        )
        sub = router.subcommands.get(name)
        if sub is None:
            close = difflib.get_close_matches(name, list(router.subcommands), n=1, cutoff=0.6)
            guess = f" Did you mean `{SLASH_COMMAND} {close[0]}`?" if close else ""
            await call.reply(
                f"`{escape(shorten(name, 40))}` is not a {SLASH_COMMAND} command.{guess} "
                f"`{SLASH_COMMAND} help` lists what you can run."
            )
            return
        if sub.opens_modal:
            await sub.handler(call)
            return
        if sub.role > Role.MEMBER or name == "help":
            call.role = await front.roles.role_of(community_id, user_id)
        if call.role < sub.role:
            raise NotAllowedError(f"Only {ROLE_NAMES[sub.role]} can use `{SLASH_COMMAND} {name}`: {WHO_MAY[sub.role]}.")
        await sub.handler(call)
    except Exception as error:
        await report_error(respond, error, what=f"{SLASH_COMMAND} {name}", call=call)


async def report_error(respond: AsyncRespond, error: BaseException, *, what: str, call: Call | None = None) -> None:
    """Tell the member privately what went wrong, the way the Discord front end does."""
    if isinstance(error, NotAllowedError):
        log.info("refused %s for a member: %s", what, error)
        text = escape(str(error))
    elif isinstance(error, UserFacingError):
        text = from_domain(bot_words(str(error)))
    else:
        error_id = secrets.token_hex(4)
        log.error("error %s in %s", error_id, what, exc_info=error)
        text = f"Sorry, something went wrong on our side. (error id `{error_id}`)"
    try:
        await respond(text=fallback_text(text), response_type="ephemeral", replace_original=False)
    except Exception as failure:
        log.warning("could not tell a member about an error in %s: %s", what, type(failure).__name__)
