"""The private voting flow: one statement at a time, Agree / Disagree / Pass, changing a vote, writing a statement."""

from __future__ import annotations

import re
from typing import Any

import discord

from bot.domain.deliberation import Vote
from bot.domain.deliberation.conversation import MAX_STATEMENT_LENGTH, Conversation, Statement
from bot.domain.discord_text import MESSAGE_LIMIT
from bot.domain.errors import UserFacingError
from bot.services.deliberation import CONSENT_NOTICE
from bot.tree import send_private
from cogs._base import guild_id_of
from cogs._modal_payload import submitted_text
from cogs._views import PersistentButton
from cogs.deliberation._common import (
    CODE_OF,
    NONE,
    STATEMENT_INPUT_ID,
    VOTE_CODES,
    VOTE_LABELS,
    service_of,
)

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


async def handle_statement_submit(interaction: discord.Interaction[Any], conversation_id: int) -> None:
    guild_id = guild_id_of(interaction)
    service = service_of(interaction)
    await service.by_id(conversation_id, community_id=guild_id)  # another server's conversation is not found
    text = submitted_text(interaction.data, STATEMENT_INPUT_ID)
    # Sending the form under the consent notice is the consent: the form said so.
    statement = await service.add_statement(conversation_id, interaction.user.id, text, consent=True)
    await send_private(interaction, statement_thanks(statement))


def statement_thanks(statement: Statement) -> str:
    if statement.moderation.value == "accepted":
        return "Thank you: your statement is in, and others can vote on it now. It is shown without your name."
    return "Thank you: your statement will be shown for voting once an organiser has accepted it."
