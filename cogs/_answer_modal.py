"""The answer form: opened by /answer and by every Answer button, submitted back to one stateless handler.

Why submissions do not go through ``discord.ui.Modal.on_submit``: discord.py dispatches a submission only
to a modal object it still holds in memory, keyed by custom_id. A restart between opening and sending
would lose the answer; a form the member closed without sending would stay in memory for ever (answer
forms have no timeout: people take their time); and two members answering the same prompt share the
custom_id, so one's form object would replace the other's. So the form is sent as a description only
(``stop()`` before sending tells discord.py not to keep it), its custom_id ``answer:modal:<prompt_id>``
names the prompt, and every submission, whichever process opened the form, arrives through the answers
cog's ``on_interaction`` listener at ``handle_answer_submit``, which reads the raw submitted components.
"""

from __future__ import annotations

import logging
import re
from typing import Any

import discord

from bot.domain.answering import (
    LABEL_DESCRIPTION_LIMIT,
    AnswerForm,
    answer_modal_title,
    confirmation_text,
    prompt_display,
)
from bot.domain.answers import MAX_ANSWER_LENGTH, clean_answer_text
from bot.domain.consent import CONSENT_NOTICE
from bot.domain.errors import NotFoundError
from bot.tree import NotAllowedError, report_error
from cogs._base import workshop_bot
from cogs._deliberation_offer import offer_answer, offer_checkbox, offer_possible, offer_ticked
from cogs._membership import is_member
from cogs._modal_payload import submitted_text

log = logging.getLogger(__name__)

ANSWER_MODAL_CUSTOM_ID = "answer:modal:{prompt_id}"
ANSWER_MODAL_PATTERN = re.compile(r"answer:modal:(?P<prompt_id>[0-9]{1,20})")
ANSWER_INPUT_ID = "answer:text"
ANSWER_LABEL = "Your answer"
ANSWER_DESCRIPTION = "Only the organisers read it. Edit it any time with /answer or the Answer button."
assert len(ANSWER_DESCRIPTION) <= LABEL_DESCRIPTION_LIMIT


class AnswerModal(discord.ui.Modal):
    """The form for one prompt: the consent notice (first answer only), the whole prompt, one text box."""

    def __init__(self, form: AnswerForm, *, offer_statement: bool = False) -> None:
        context = form.context
        super().__init__(
            title=answer_modal_title(context),
            custom_id=ANSWER_MODAL_CUSTOM_ID.format(prompt_id=context.prompt.id),
            timeout=None,
        )
        if form.needs_consent:
            self.add_item(discord.ui.TextDisplay(CONSENT_NOTICE))
        self.add_item(discord.ui.TextDisplay(prompt_display(context)))
        self.add_item(
            discord.ui.Label(
                text=ANSWER_LABEL,
                description=ANSWER_DESCRIPTION,
                component=discord.ui.TextInput(
                    custom_id=ANSWER_INPUT_ID,
                    style=discord.TextStyle.paragraph,
                    min_length=1,
                    max_length=MAX_ANSWER_LENGTH,
                    default=form.current_text,
                    required=True,
                ),
            )
        )
        if offer_statement:  # the week has an open deliberation: an explicit opt-in, off by default
            self.add_item(offer_checkbox())


async def open_answer_modal(
    interaction: discord.Interaction[Any], prompt_id: int, *, form: AnswerForm | None = None
) -> None:
    """Answer ``interaction`` with the form for ``prompt_id``, pre-filled with the member's current answer
    (``form``: already read for this member and server).

    Errors (a prompt that no longer exists, ...) are shown privately here, as the first response: Answer
    buttons call this from a DynamicItem, whose exceptions discord.py would only log.

    The form is the first response, and nothing is asked of Discord before it: a modal cannot follow a
    deferral, and under a burst of clicks right after a reminder fan-out a request here (fetching the
    member, say) would wait on its route's bucket past Discord's 3 seconds (10062, "This interaction
    failed"). Only the database is read. Whether a member who clicks in a DM still belongs to the server
    is checked when the form is sent (``handle_answer_submit``, after deferring).
    """
    try:
        if form is None:
            services = workshop_bot(interaction).services
            form = await services.answers.form(prompt_id, interaction.user.id, community_id=interaction.guild_id)
        modal = AnswerModal(form, offer_statement=await offer_possible(interaction, form.context))
        modal.stop()  # a description only: discord.py must not keep it (see the module docstring)
        await interaction.response.send_modal(modal)
    except Exception as error:
        await report_error(interaction, error)


def answer_modal_prompt_id(interaction: discord.Interaction[Any]) -> int | None:
    """The prompt id if ``interaction`` is the submission of an answer form, else None."""
    if interaction.type is not discord.InteractionType.modal_submit:
        return None
    data: Any = interaction.data or {}
    custom_id = data.get("custom_id")
    match = ANSWER_MODAL_PATTERN.fullmatch(custom_id) if isinstance(custom_id, str) else None
    return int(match["prompt_id"]) if match else None


async def handle_answer_submit(interaction: discord.Interaction[Any], prompt_id: int) -> None:
    """Store a submitted answer and confirm privately: one response per submission, whatever happens.

    Text that breaks the answer rules is refused at once. Otherwise the interaction is deferred before
    the write: writes are serialised, and with many members sending at the same moment the wait must not
    run past Discord's 3-second limit for the first response.
    """
    try:
        raw = submitted_text(interaction.data, ANSWER_INPUT_ID)
        clean_answer_text(raw)  # refuse bad text before anything else (the service checks it again)
        try:
            await interaction.response.defer(ephemeral=True, thinking=True)
        except discord.NotFound:
            # Too late to answer (Discord's 3 seconds passed): keep what the member sent all the same. They
            # see "interaction failed", and the form they open again shows their answer pre-filled.
            log.warning("answer form for prompt %s acknowledged too late; saving it without a reply", prompt_id)
        services = workshop_bot(interaction).services
        if interaction.guild_id is None:
            context = await services.answers.prompt(prompt_id, community_id=None)
            await _require_member(interaction, context.community_id)
        saved = await services.answers.submit(prompt_id, interaction.user.id, raw, community_id=interaction.guild_id)
        reply = confirmation_text(saved)
        if offer_ticked(interaction.data):
            reply += "\n" + await offer_answer(interaction, saved, raw)
        if interaction.response.is_done():
            await interaction.followup.send(reply, ephemeral=True, allowed_mentions=discord.AllowedMentions.none())
    except Exception as error:
        await report_error(interaction, error)


async def _require_member(interaction: discord.Interaction[Any], guild_id: int) -> None:
    """In a DM (an Answer button on a reminder DM), check the member still belongs to the prompt's server.

    Asked over REST, not from this process's cache: DMs reach shard 0 only, whichever shard (and process) holds
    the server, and an answer only needs the database (issue 20, item 6)."""
    member = await is_member(interaction.client, guild_id, interaction.user.id)
    if member is None:
        raise NotFoundError("That prompt belongs to a server this bot is no longer in.")
    if not member:
        raise NotAllowedError(
            "You are not a member of the workshop's server any more, so you cannot answer its prompts."
        )
