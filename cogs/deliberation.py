"""Deliberation in Discord: /deliberate open|close|results|moderate, and the private voting flow.

A conversation has one post in the channel with a Vote button. Pressing it opens a private message showing one
statement at a time with Agree / Disagree / Pass / Write a statement; each vote moves that message on to the next
statement. Every button and the statement form are stateless (their custom_ids carry the conversation and the
statement), so they keep working after a restart: see cogs/_views.py and cogs/_answer_modal.py for why.
Nothing here shows who wrote a statement or who voted; nothing members wrote can ping anyone.
"""

from __future__ import annotations

import asyncio
import io
import logging
import re
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.domain.deliberation import Vote
from bot.domain.deliberation.conversation import MAX_STATEMENT_LENGTH, Conversation, Statement
from bot.domain.deliberation.display import ShownResults, results_json, shown_results
from bot.domain.deliberation.opinion_map import map_png
from bot.domain.discord_text import MESSAGE_LIMIT
from bot.domain.errors import UserFacingError
from bot.services.deliberation import CONSENT_NOTICE, DeliberationService
from bot.tree import report_error, send_private
from cogs._base import WeekOption, WorkshopCog, guild_id_of, workshop_bot
from cogs._checks import facilitators_only, is_facilitator, is_organiser, organisers_only, require_facilitator
from cogs._views import PersistentButton

if TYPE_CHECKING:
    from bot.client import WorkshopBot

log = logging.getLogger(__name__)

NONE = discord.AllowedMentions.none()
MAX_SEED_FILE = 64 * 1024
SEEDS_INPUT_ID = "deliberate:seeds"
PROMPT_INPUT_ID = "deliberate:prompt"
STATEMENT_INPUT_ID = "deliberate:statement"
OPEN_MODAL = re.compile(r"deliberate:open:(?P<week>[0-9]{1,4}):(?P<auto>[01])")
STATEMENT_MODAL = re.compile(r"deliberate:statement:(?P<conversation>[0-9]{1,19})")
VOTE_LABELS = {Vote.AGREE: "Agree", Vote.DISAGREE: "Disagree", Vote.PASS: "Pass / unsure"}
VOTE_CODES = {"a": Vote.AGREE, "d": Vote.DISAGREE, "p": Vote.PASS}
CODE_OF = {vote: code for code, vote in VOTE_CODES.items()}


def service_of(interaction: discord.Interaction[Any]) -> DeliberationService:
    return workshop_bot(interaction).services.deliberation


# --- the channel post -------------------------------------------------------------------------------------


def post_text(conversation: Conversation) -> str:
    week = f" · week {conversation.week}" if conversation.week is not None else ""
    if not conversation.is_open:
        return f"🗳️ **{conversation.name.capitalize()}**{week} (closed)\n> {conversation.prompt}\nVoting has ended."
    return (
        f"🗳️ **{conversation.name.capitalize()}**{week}\n> {conversation.prompt}\n"
        "Vote on short statements from the group, privately, and add your own. Nobody sees who wrote a statement "
        "or how anyone voted."
    )


class VoteButton(PersistentButton, template=r"deliberate:vote:(?P<conversation>[0-9]{1,19})"):
    """The button on the channel post: opens the private voting flow."""

    def __init__(self, conversation_id: int) -> None:
        super().__init__(
            discord.ui.Button(
                label="Vote",
                style=discord.ButtonStyle.primary,
                custom_id=f"deliberate:vote:{conversation_id}",
                emoji="🗳️",
            )
        )
        self.conversation_id = conversation_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> VoteButton:
        return cls(int(match["conversation"]))

    async def pressed(self, interaction: discord.Interaction[Any]) -> None:
        content, view = await voting_step(interaction, self.conversation_id)
        await interaction.response.send_message(content, view=view, ephemeral=True, allowed_mentions=NONE)


def post_view(conversation_id: int) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    view.add_item(VoteButton(conversation_id))
    return view


# --- the private voting flow ------------------------------------------------------------------------------


async def voting_step(
    interaction: discord.Interaction[Any],
    conversation_id: int,
    *,
    note: str | None = None,
    voted_in: Conversation | None = None,
    just_voted: int | None = None,
) -> tuple[str, discord.ui.View]:
    """The private message showing the member's next statement (or that they have seen them all). ``voted_in``:
    the conversation the member has just voted in (so they have consented, and it is theirs and open)."""
    guild_id = guild_id_of(interaction)
    service = service_of(interaction)
    conversation = voted_in or await service.by_id(conversation_id, community_id=guild_id)
    if not conversation.is_open:
        raise UserFacingError(f"{conversation.name.capitalize()} is closed: voting has ended.")
    consent = voted_in is None and await service.needs_consent(guild_id, interaction.user.id)
    statement = await service.next_statement(conversation_id, interaction.user.id)
    lines = [note] if note else []
    if consent:
        lines.append(f"*{CONSENT_NOTICE}*")
    lines.append(f"**{conversation.name.capitalize()}:** {conversation.prompt}")
    view = discord.ui.View(timeout=None)
    if statement is None:
        lines.append("You have voted on every statement so far. New ones may come: press Vote again later.")
    else:
        lines.append(f"> {statement.text}")
        for vote, style in ((Vote.AGREE, discord.ButtonStyle.success), (Vote.DISAGREE, discord.ButtonStyle.danger)):
            view.add_item(CastButton(conversation_id, statement.id, vote, consent, style=style))
        view.add_item(
            CastButton(conversation_id, statement.id, Vote.PASS, consent, style=discord.ButtonStyle.secondary)
        )
    view.add_item(WriteButton(conversation_id))
    if just_voted is not None:
        view.add_item(ChangeButton(conversation_id, just_voted))
    return "\n".join(lines)[:MESSAGE_LIMIT], view


class ChangeButton(
    PersistentButton, template=r"deliberate:change:(?P<conversation>[0-9]{1,19}):(?P<statement>[0-9]{1,19})"
):
    """Shows the statement just voted on again, to vote differently (the new vote replaces the old)."""

    def __init__(self, conversation_id: int, statement_id: int) -> None:
        super().__init__(
            discord.ui.Button(
                label="Change that vote",
                style=discord.ButtonStyle.secondary,
                custom_id=f"deliberate:change:{conversation_id}:{statement_id}",
            )
        )
        self.conversation_id, self.statement_id = conversation_id, statement_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> ChangeButton:
        return cls(int(match["conversation"]), int(match["statement"]))

    async def pressed(self, interaction: discord.Interaction[Any]) -> None:
        service = service_of(interaction)
        conversation = await service.by_id(self.conversation_id, community_id=guild_id_of(interaction))
        statement = await service.statement(self.conversation_id, self.statement_id)
        view = discord.ui.View(timeout=None)
        for vote, style in (
            (Vote.AGREE, discord.ButtonStyle.success),
            (Vote.DISAGREE, discord.ButtonStyle.danger),
            (Vote.PASS, discord.ButtonStyle.secondary),
        ):
            view.add_item(CastButton(conversation.id, statement.id, vote, False, style=style))
        content = f"**{conversation.name.capitalize()}:** vote again on this statement:\n> {statement.text}"
        await interaction.response.edit_message(content=content[:MESSAGE_LIMIT], view=view, allowed_mentions=NONE)


class CastButton(
    PersistentButton,
    template=r"deliberate:cast:(?P<conversation>[0-9]{1,19}):(?P<statement>[0-9]{1,19}):(?P<vote>[adp]):(?P<consent>[01])",
):
    """Agree / Disagree / Pass on one statement. When the message carried the consent notice, pressing one of
    these is the member's consent (the notice says so)."""

    def __init__(
        self,
        conversation_id: int,
        statement_id: int,
        vote: Vote,
        consent: bool,
        *,
        style: discord.ButtonStyle = discord.ButtonStyle.secondary,
    ) -> None:
        super().__init__(
            discord.ui.Button(
                label=VOTE_LABELS[vote],
                style=style,
                custom_id=f"deliberate:cast:{conversation_id}:{statement_id}:{CODE_OF[vote]}:{int(consent)}",
            )
        )
        self.conversation_id, self.statement_id, self.vote, self.consent = conversation_id, statement_id, vote, consent

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> CastButton:
        return cls(
            int(match["conversation"]), int(match["statement"]), VOTE_CODES[match["vote"]], match["consent"] == "1"
        )

    async def pressed(self, interaction: discord.Interaction[Any]) -> None:
        # Acknowledge first, as the answer form does: with many members voting at once the writes queue, and the
        # wait must not run past Discord's 3 seconds for the first response.
        await interaction.response.defer()
        conversation = await service_of(interaction).vote(
            self.conversation_id,
            interaction.user.id,
            self.statement_id,
            self.vote,
            consent=self.consent,
            community_id=guild_id_of(interaction),
        )
        note = f"Recorded: **{VOTE_LABELS[self.vote].lower()}**."
        content, view = await voting_step(
            interaction, self.conversation_id, note=note, voted_in=conversation, just_voted=self.statement_id
        )
        await interaction.edit_original_response(content=content, view=view, allowed_mentions=NONE)


class WriteButton(PersistentButton, template=r"deliberate:write:(?P<conversation>[0-9]{1,19})"):
    """Opens the statement form."""

    def __init__(self, conversation_id: int) -> None:
        super().__init__(
            discord.ui.Button(
                label="Write a statement",
                style=discord.ButtonStyle.primary,
                custom_id=f"deliberate:write:{conversation_id}",
                emoji="✍️",
            )
        )
        self.conversation_id = conversation_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> WriteButton:
        return cls(int(match["conversation"]))

    async def pressed(self, interaction: discord.Interaction[Any]) -> None:
        guild_id = guild_id_of(interaction)
        service = service_of(interaction)
        conversation = await service.by_id(self.conversation_id, community_id=guild_id)
        if not conversation.is_open:
            raise UserFacingError(f"{conversation.name.capitalize()} is closed: it takes no more statements.")
        modal = StatementModal(conversation, needs_consent=await service.needs_consent(guild_id, interaction.user.id))
        modal.stop()  # a description only: the submission arrives at on_interaction, whichever process opened it
        await interaction.response.send_modal(modal)


class StatementModal(discord.ui.Modal):
    def __init__(self, conversation: Conversation, *, needs_consent: bool) -> None:
        super().__init__(
            title=f"A statement for {conversation.name}"[:45],
            custom_id=f"deliberate:statement:{conversation.id}",
            timeout=None,
        )
        if needs_consent:
            self.add_item(discord.ui.TextDisplay(CONSENT_NOTICE.replace("Vote to agree", "Send to agree")))
        self.add_item(discord.ui.TextDisplay(f"**Prompt:** {conversation.prompt}"[:4000]))
        self.add_item(
            discord.ui.Label(
                text="Your statement",
                description="One short point others can agree or disagree with. It is shown without your name.",
                component=discord.ui.TextInput(
                    custom_id=STATEMENT_INPUT_ID,
                    style=discord.TextStyle.paragraph,
                    min_length=1,
                    max_length=MAX_STATEMENT_LENGTH,
                    required=True,
                ),
            )
        )


def submitted_value(data: Any, custom_id: str) -> str:
    """The text typed into input ``custom_id`` of a raw MODAL_SUBMIT payload; "" if missing (shape not trusted)."""
    components = data.get("components") if isinstance(data, dict) else None
    pending: list[Any] = list(components) if isinstance(components, list) else []
    while pending:
        component = pending.pop(0)
        if not isinstance(component, dict):
            continue
        if component.get("custom_id") == custom_id and component.get("type") == 4:
            value = component.get("value")
            return value if isinstance(value, str) else ""
        inner = component.get("component")
        if isinstance(inner, dict):
            pending.append(inner)
        children = component.get("components")
        if isinstance(children, list):
            pending.extend(children)
    return ""


async def handle_statement_submit(interaction: discord.Interaction[Any], conversation_id: int) -> None:
    guild_id = guild_id_of(interaction)
    service = service_of(interaction)
    await service.by_id(conversation_id, community_id=guild_id)  # another server's conversation is not found
    text = submitted_value(interaction.data, STATEMENT_INPUT_ID)
    # Sending the form under the consent notice is the consent: the form said so.
    statement = await service.add_statement(conversation_id, interaction.user.id, text, consent=True)
    await send_private(interaction, statement_thanks(statement))


def statement_thanks(statement: Statement) -> str:
    if statement.moderation.value == "accepted":
        return "Thank you: your statement is in, and others can vote on it now. It is shown without your name."
    return "Thank you: your statement will be shown for voting once an organiser has accepted it."


# --- moderation ---------------------------------------------------------------------------------------------


class ModerateButton(PersistentButton, template=r"deliberate:moderate:(?P<statement>[0-9]{1,19}):(?P<verdict>[ar])"):
    def __init__(self, statement_id: int, accept: bool) -> None:
        super().__init__(
            discord.ui.Button(
                label="Accept" if accept else "Reject",
                style=discord.ButtonStyle.success if accept else discord.ButtonStyle.danger,
                custom_id=f"deliberate:moderate:{statement_id}:{'a' if accept else 'r'}",
            )
        )
        self.statement_id, self.accept = statement_id, accept

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> ModerateButton:
        return cls(int(match["statement"]), match["verdict"] == "a")

    async def pressed(self, interaction: discord.Interaction[Any]) -> None:
        from cogs._checks import require_organiser

        await require_organiser(interaction, "moderate statements")
        service = service_of(interaction)
        statement = await service.moderate(guild_id_of(interaction), self.statement_id, accept=self.accept)
        done = f"{'Accepted' if self.accept else 'Rejected'}: “{statement.text}”"
        content, view = await moderation_step(service, statement.conversation_id, note=done)
        await interaction.response.edit_message(content=content, view=view, allowed_mentions=NONE)


async def moderation_step(
    service: DeliberationService, conversation_id: int, *, note: str | None = None
) -> tuple[str, discord.ui.View | None]:
    pending = await service.pending(conversation_id)
    lines = [note] if note else []
    if not pending:
        lines.append("No statements are waiting for moderation.")
        return "\n".join(lines), None
    first = pending[0]
    lines.append(f"{len(pending)} waiting. Accept this statement for voting?\n> {first.text}")
    view = discord.ui.View(timeout=None)
    view.add_item(ModerateButton(first.id, True))
    view.add_item(ModerateButton(first.id, False))
    return "\n".join(lines)[:MESSAGE_LIMIT], view


# --- results ------------------------------------------------------------------------------------------------


def results_text(conversation: Conversation, shown: ShownResults) -> str:
    lines = [f"**{conversation.name.capitalize()}**: {conversation.prompt}", f"Voters: {shown.voters}"]
    if shown.reason:
        lines.append(f"No opinion groups yet. {shown.reason} Agreement so far:")
        for counts in shown.counts[:15]:
            lines.append(f"> {counts.text}\n  agree {counts.agree} · disagree {counts.disagree} · pass {counts.passed}")
        return "\n".join(lines)[:MESSAGE_LIMIT]
    for group in shown.groups:
        lines.append(f"**{group.label}** ({group.size} members)")
        for statement in group.representative[:3]:
            lines.append(f"> {statement.text}\n  {statement.detail}")
        if not group.representative:
            lines.append("  (no statement sets this group apart yet)")
    if shown.ungrouped_note:
        lines.append(shown.ungrouped_note)
    if shown.consensus:
        lines.append("**Common ground**")
        lines += [f"> {s.text}\n  {s.detail}" for s in shown.consensus[:3]]
    if shown.divisive:
        lines.append("**Where the groups divide**")
        lines += [f"> {s.text}\n  {s.detail}" for s in shown.divisive[:3]]
    text = "\n".join(lines)
    return text if len(text) <= MESSAGE_LIMIT else text[: MESSAGE_LIMIT - 1] + "…"


async def is_facilitator_here(interaction: discord.Interaction[Any]) -> bool:
    settings = await workshop_bot(interaction).services.settings.get(guild_id_of(interaction))
    return is_facilitator(interaction.user, settings) or is_organiser(interaction.user, settings)


# --- the cog --------------------------------------------------------------------------------------------------


class DeliberationCog(WorkshopCog):
    deliberate = app_commands.Group(
        name="deliberate", description="Conversations where members vote on each other's statements", guild_only=True
    )

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(VoteButton, CastButton, WriteButton, ChangeButton, ModerateButton)

    async def cog_unload(self) -> None:
        self.bot.remove_dynamic_items(VoteButton, CastButton, WriteButton, ChangeButton, ModerateButton)

    @commands.Cog.listener()
    async def on_interaction(self, interaction: discord.Interaction[Any]) -> None:
        """Statement and opening forms, including forms opened before a restart."""
        if interaction.type is not discord.InteractionType.modal_submit:
            return
        data: Any = interaction.data or {}
        custom_id = data.get("custom_id") if isinstance(data, dict) else None
        if not isinstance(custom_id, str):
            return
        try:
            if match := STATEMENT_MODAL.fullmatch(custom_id):
                await handle_statement_submit(interaction, int(match["conversation"]))
            elif match := OPEN_MODAL.fullmatch(custom_id):
                await require_facilitator(interaction, "open conversations")
                prompt = submitted_value(data, PROMPT_INPUT_ID)
                seeds = submitted_value(data, SEEDS_INPUT_ID)
                await self._open(interaction, int(match["week"]), prompt, seeds, match["auto"] == "1")
        except Exception as error:
            await report_error(interaction, error)

    @deliberate.command(name="open", description="Open a conversation on a week's prompt, with a Vote button")
    @app_commands.describe(
        week="The programme week it belongs to",
        prompt="The question members respond to",
        seeds="Optional: a text file of seed statements, one a line (without it, a form asks for them)",
        auto_accept="Show members' statements for voting at once (default), or hold them for moderation",
    )
    @facilitators_only("open conversations")
    async def open(
        self,
        interaction: discord.Interaction[Any],
        week: WeekOption,
        prompt: app_commands.Range[str, 1, 1000],
        seeds: discord.Attachment | None = None,
        auto_accept: bool = True,
    ) -> None:
        if seeds is None:
            await interaction.response.send_modal(OpenModal(week, prompt, auto_accept))
            return
        if seeds.size > MAX_SEED_FILE:
            raise UserFacingError(f"The seed file is {seeds.size:,} bytes; the limit is {MAX_SEED_FILE:,}.")
        await interaction.response.defer(ephemeral=True, thinking=True)
        raw = await seeds.read()
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise UserFacingError(
                "The seed file is not UTF-8 text: save it as plain text, one statement a line."
            ) from None
        await self._open(interaction, week, prompt, text, auto_accept)

    async def _open(
        self, interaction: discord.Interaction[Any], week: int, prompt: str, seeds: str, auto: bool
    ) -> None:
        guild_id = guild_id_of(interaction)
        service = self.bot.services.deliberation
        if not interaction.response.is_done():
            await interaction.response.defer(ephemeral=True, thinking=True)
        conversation = await service.open(guild_id, week=week, prompt=prompt, seeds=seeds, auto_accept=auto)
        channel = interaction.channel
        if not isinstance(channel, discord.abc.Messageable):
            raise UserFacingError("Open conversations from a text channel: the Vote post goes there.")
        post = await channel.send(post_text(conversation), view=post_view(conversation.id), allowed_mentions=NONE)
        await service.set_post(conversation.id, post.channel.id, post.id)
        count = len(await service.statements(conversation.id))
        await send_private(
            interaction,
            f"Opened **{conversation.name}** with {count} seed statements: members vote with the button on the post. "
            f"Close it with /deliberate close conversation:{conversation.number}.",
        )

    @deliberate.command(name="close", description="Close a conversation: no more votes or statements")
    @app_commands.describe(conversation="The conversation's number")
    @facilitators_only("close conversations")
    async def close(self, interaction: discord.Interaction[Any], conversation: app_commands.Range[int, 1]) -> None:
        guild_id = guild_id_of(interaction)
        await interaction.response.defer(ephemeral=True, thinking=True)
        closed = await self.bot.services.deliberation.close(guild_id, conversation)
        if closed.channel_id is not None and closed.post_id is not None:
            try:
                message = self.bot.get_partial_messageable(closed.channel_id).get_partial_message(closed.post_id)
                await message.edit(content=post_text(closed), view=None, allowed_mentions=NONE)
            except discord.HTTPException:
                log.warning("could not mark the post of conversation %d closed", closed.id)
        await send_private(interaction, f"Closed **{closed.name}**. /deliberate results shows where it ended.")

    @deliberate.command(
        name="results", description="A conversation's opinion groups and common ground (only you see it)"
    )
    @app_commands.describe(conversation="The conversation's number")
    async def results(self, interaction: discord.Interaction[Any], conversation: app_commands.Range[int, 1]) -> None:
        guild_id = guild_id_of(interaction)
        await interaction.response.defer(ephemeral=True, thinking=True)  # the analysis and the map take a moment
        service = self.bot.services.deliberation
        found = await service.conversation(guild_id, conversation)
        results = await service.results(found.id)
        shown = shown_results(results.analysis, {i: s.text for i, s in results.statements.items()})
        text = results_text(found, shown)
        files = []
        if results.analysis.grouped:
            png = await asyncio.to_thread(map_png, results.analysis, shown)
            files.append(discord.File(io.BytesIO(png), filename="opinion-map.png"))
        if await is_facilitator_here(interaction):
            # Facilitators and organisers also get the figures as JSON: statements and their vote counts.
            document = results_json(found.name, found.week, found.prompt, found.state.value, shown, self.bot.clock())
            files.append(discord.File(io.BytesIO(document), filename=f"conversation-{found.number}.json"))
        await interaction.followup.send(text, files=files, ephemeral=True, allowed_mentions=NONE)

    @deliberate.command(name="moderate", description="Accept or reject statements waiting for moderation")
    @app_commands.describe(conversation="The conversation's number")
    @organisers_only("moderate statements")
    async def moderate(self, interaction: discord.Interaction[Any], conversation: app_commands.Range[int, 1]) -> None:
        service = self.bot.services.deliberation
        found = await service.conversation(guild_id_of(interaction), conversation)
        content, view = await moderation_step(service, found.id)
        if view is None:
            await send_private(interaction, content)
        else:
            await interaction.response.send_message(content, view=view, ephemeral=True, allowed_mentions=NONE)


class OpenModal(discord.ui.Modal):
    """Seed statements for a new conversation, typed; the prompt rides along in the form, so it is stateless."""

    def __init__(self, week: int, prompt: str, auto_accept: bool) -> None:
        super().__init__(
            title=f"Open a conversation (week {week})", custom_id=f"deliberate:open:{week}:{int(auto_accept)}"
        )
        self.add_item(
            discord.ui.Label(
                text="Prompt",
                component=discord.ui.TextInput(
                    custom_id=PROMPT_INPUT_ID, style=discord.TextStyle.paragraph, default=prompt, max_length=1000
                ),
            )
        )
        self.add_item(
            discord.ui.Label(
                text="Seed statements (optional)",
                description="One a line; members vote on these first.",
                component=discord.ui.TextInput(
                    custom_id=SEEDS_INPUT_ID, style=discord.TextStyle.paragraph, required=False, max_length=4000
                ),
            )
        )
        self.stop()  # a description only: the submission arrives at on_interaction


async def setup(bot: WorkshopBot) -> None:
    await bot.add_cog(DeliberationCog(bot))
