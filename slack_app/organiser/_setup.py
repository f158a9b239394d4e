"""``/workshop setup``: the workspace's settings in one modal, pre-filled with what is in force, with the
Health findings (Slack's ``check``) below. Every field is checked by the same rules as Discord's /setup and the
``.env`` (bot.domain.settings_rules); a field that breaks one is marked in the modal and nothing is saved.
Emptying a field clears that setting.

User groups have no Block Kit select of their own, so they are offered from ``usergroups.list`` in a static
select (at most 100 options: Slack's limit per select).
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Iterable
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_sdk.errors import SlackApiError
from slack_sdk.models.blocks import (
    Block,
    ConversationFilter,
    ConversationSelectElement,
    InputBlock,
    NumberInputElement,
    Option,
    PlainTextInputElement,
    StaticSelectElement,
    UrlInputElement,
)
from slack_sdk.models.views import View
from slack_sdk.web.async_client import AsyncWebClient

from bot.domain.errors import UserFacingError
from bot.domain.platform_ids import int_to_slack_id, slack_id_to_int
from bot.domain.preflight.facts import runtime_finding
from bot.domain.reminders import format_offsets
from bot.domain.settings_rules import (
    MAX_ANSWER_WINDOW_HOURS,
    MAX_RETENTION_DAYS,
    MIN_RETENTION_DAYS,
    SetupContext,
    SetupRequest,
    plan_settings_change,
)
from bot.services.health import RuntimeProblem
from slack_app._commands import Call, Router, Subcommand
from slack_app._context import SlackContext, team_of, user_of
from slack_app._render import (
    MODAL_TITLE_LIMIT,
    VIEW_BLOCKS_LIMIT,
    bot_words,
    context,
    divider,
    fit_blocks,
    from_domain,
    plain,
    sections,
    shorten,
)
from slack_app._roles import Role
from slack_app._submission import ack_with_outcome
from slack_app.organiser._modal import notice, open_for_organiser
from slack_app.organiser._text import retention_note

log = logging.getLogger(__name__)

CALLBACK = "setup"
TITLE = "Workshop settings"
NONE_OPTION = "none"
GROUP_OPTIONS_LIMIT = 99  # and "none"

# block id -> (the setting it sets, its label)
CHANNELS = {
    "reminder_channel": ("reminder_channel_id", "Reminder channel"),
    "discussion_channel": ("discussion_channel_id", "Discussion channel (threads)"),
}
GROUPS = {
    "organiser_group": ("organiser_role_id", "Organiser user group"),
    "facilitator_group": ("facilitator_role_id", "Facilitator user group"),
    "ping_group": ("ping_role_id", "User group reminders mention"),
}


async def user_groups(client: AsyncWebClient) -> list[tuple[str, str]]:
    """(id, name) of the workspace's user groups; none when they cannot be read (the check says why)."""
    try:
        response = await client.usergroups_list()
    except SlackApiError as error:
        log.warning("cannot list user groups: %s", error.response.get("error"))
        return []
    groups = response.get("usergroups") or []
    return [(str(g["id"]), str(g.get("handle") or g.get("name") or g["id"])) for g in groups if g.get("id")]


def _slack(value: int | None) -> str | None:
    if value is None:
        return None
    try:
        return int_to_slack_id(value)
    except ValueError:
        return None  # a Discord id set for another platform: not offered here


def setup_view(
    settings: Any, groups: list[tuple[str, str]], health: list[str] | None, retention_note: str | None = None
) -> View:
    blocks: list[Block] = []
    for block_id, (name, label) in CHANNELS.items():
        current = _slack(getattr(settings, name))
        blocks.append(
            InputBlock(
                block_id=block_id,
                label=plain(label),
                optional=True,
                element=ConversationSelectElement(
                    action_id=block_id,
                    initial_conversation=current,
                    filter=ConversationFilter(include=["public", "private"], exclude_bot_users=True),
                ),
            )
        )
    options = [Option(value=NONE_OPTION, label="(none)")]
    options += [Option(value=gid, label=shorten(f"@{name}", 75)) for gid, name in groups[:GROUP_OPTIONS_LIMIT]]
    for block_id, (name, label) in GROUPS.items():
        current = _slack(getattr(settings, name))
        initial = next((o for o in options if o.value == current), None)
        blocks.append(
            InputBlock(
                block_id=block_id,
                label=plain(label),
                optional=True,
                element=StaticSelectElement(action_id=block_id, options=options, initial_option=initial),
            )
        )
    blocks.append(
        InputBlock(
            block_id="reminder_times",
            label=plain("Reminder times (before each session)"),
            hint=plain("Such as 24h,1h,15m"),
            optional=True,
            element=PlainTextInputElement(
                action_id="reminder_times", initial_value=format_offsets(settings.reminder_offsets)
            ),
        )
    )
    blocks.append(
        InputBlock(
            block_id="meeting_link",
            label=plain("Meeting link (https)"),
            optional=True,
            element=UrlInputElement(action_id="meeting_link", initial_value=settings.meeting_link),
        )
    )
    window = settings.answer_window
    blocks.append(
        InputBlock(
            block_id="answer_window_hours",
            label=plain("Answer window (hours after a session)"),
            hint=plain(f"0 to {MAX_ANSWER_WINDOW_HOURS}; empty: answers are never late"),
            optional=True,
            element=NumberInputElement(
                action_id="answer_window_hours",
                is_decimal_allowed=False,
                min_value=0,
                max_value=MAX_ANSWER_WINDOW_HOURS,
                initial_value=None if window is None else int(window.total_seconds() // 3600),
            ),
        )
    )
    retention = settings.retention
    blocks.append(
        InputBlock(
            block_id="retention_days",
            label=plain("Retention (days after the last session)"),
            hint=plain(f"{MIN_RETENTION_DAYS} to {MAX_RETENTION_DAYS}; empty: answers are kept until deleted"),
            optional=True,
            element=NumberInputElement(
                action_id="retention_days",
                is_decimal_allowed=False,
                min_value=MIN_RETENTION_DAYS,
                max_value=MAX_RETENTION_DAYS,
                initial_value=None if retention is None else retention.days,
            ),
        )
    )
    if health is None:
        findings = "`python -m bot check` checks the tokens, scopes, channels and user groups."
    else:
        findings = "\n".join(health) if health else "No problems found."
    if retention_note:
        blocks.append(context(from_domain(bot_words(retention_note))))
    blocks += [divider(), *sections(f"*Health*\n{findings}")]
    blocks.append(context("Organisers are workspace admins and owners, and the organiser user group."))
    return View(
        type="modal",
        callback_id=CALLBACK,
        title=plain(TITLE, MODAL_TITLE_LIMIT),
        submit=plain("Save"),
        close=plain("Cancel"),
        blocks=fit_blocks(blocks, VIEW_BLOCKS_LIMIT),
    )


async def health_lines(front: SlackContext, settings: Any) -> list[str] | None:
    """The Slack ``check`` findings (bot/preflight/slack.py, the same as ``python -m bot check``), one line each."""
    try:
        slack_check = importlib.import_module("bot.preflight.slack")  # written beside this front end
    except ImportError:
        return None
    places = slack_check.SlackPlaces(
        reminder_channel_id=settings.reminder_channel_id,
        discussion_channel_id=settings.discussion_channel_id,
        organiser_group_id=settings.organiser_role_id,
        facilitator_group_id=settings.facilitator_role_id,
    )
    running = problem_lines(front.services.problems.current(front.community_id))
    try:
        findings = await slack_check.slack_findings(front.client, app_token=front.app_token, places=places)
    except Exception:
        log.exception("the Health findings could not be gathered")
        return ["The health check could not run: see the bot's log.", *running]
    return [from_domain(finding.line()) for finding in findings] + running


def problem_lines(problems: Iterable[RuntimeProblem]) -> list[str]:
    """The problems the running bot met (a reminder channel the bot is not in, a thread it could not read), in
    the words the platform's adapters gave them; channels named by ``<#id>`` become Slack's links here."""
    return [from_domain(bot_words(runtime_finding(p.text, p.fix).line())) for p in problems]


def _value(values: dict[str, Any], block_id: str) -> Any:
    state = (values.get(block_id) or {}).get(block_id) or {}
    kind = state.get("type")
    if kind in ("conversations_select", "channels_select"):
        return state.get("selected_conversation") or state.get("selected_channel")
    if kind == "static_select":
        option = state.get("selected_option") or {}
        return option.get("value")
    return state.get("value")


def id_request(name: str, value: int) -> SetupRequest:
    """A /setup request that sets one channel or group setting."""
    return SetupRequest(
        reminder_channel_id=value if name == "reminder_channel_id" else None,
        discussion_channel_id=value if name == "discussion_channel_id" else None,
        organiser_role_id=value if name == "organiser_role_id" else None,
        facilitator_role_id=value if name == "facilitator_role_id" else None,
        ping_role_id=value if name == "ping_role_id" else None,
    )


def read_form(values: dict[str, Any], settings: Any) -> tuple[dict[str, object], dict[str, str]]:
    """The settings the organiser changed (None: cleared), and the errors by block id."""
    changes: dict[str, object] = {}
    errors: dict[str, str] = {}
    rules = SetupContext(community_id=settings.community_id, weeks=None)

    def check(block_id: str, request: SetupRequest, name: str) -> None:
        try:
            change = plan_settings_change(request, rules)
        except UserFacingError as error:
            errors[block_id] = shorten(str(error), 150)
            return
        if change.settings.get(name) != getattr(settings, name):
            changes[name] = change.settings.get(name)

    def clear(name: str) -> None:
        if getattr(settings, name) is not None:
            changes[name] = None

    for block_id, (name, _label) in {**CHANNELS, **GROUPS}.items():
        chosen = _value(values, block_id)
        if not chosen or chosen == NONE_OPTION:
            clear(name)
            continue
        try:
            neutral = slack_id_to_int(str(chosen))
        except ValueError:
            errors[block_id] = "Slack sent an id the bot cannot store: choose again."
            continue
        check(block_id, id_request(name, neutral), name)
    times = _value(values, "reminder_times")
    if times and times.strip():
        check("reminder_times", SetupRequest(reminder_times=times), "reminder_offsets")
    link = _value(values, "meeting_link")
    if link and link.strip():
        check("meeting_link", SetupRequest(meeting_link=link), "meeting_link")
    else:
        clear("meeting_link")
    for block_id, field, name in (
        ("answer_window_hours", "answer_window_hours", "answer_window"),
        ("retention_days", "retention_days", "retention"),
    ):
        number = _value(values, block_id)
        if number is None or str(number).strip() == "":
            clear(name)
            continue
        try:
            whole = int(str(number))
        except ValueError:
            errors[block_id] = "Give a whole number."
            continue
        request = (
            SetupRequest(answer_window_hours=whole)
            if field == "answer_window_hours"
            else SetupRequest(retention_days=whole)
        )
        check(block_id, request, name)
    return changes, errors


LABELS = {
    "reminder_channel_id": "reminder channel",
    "discussion_channel_id": "discussion channel",
    "organiser_role_id": "organiser group",
    "facilitator_role_id": "facilitator group",
    "ping_role_id": "reminder mention group",
    "reminder_offsets": "reminder times",
    "meeting_link": "meeting link",
    "answer_window": "answer window",
    "retention": "retention",
}


async def submitted(front: SlackContext, ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
    view = body.get("view") or {}
    community_id = front.community_of(team_of(body))
    if await front.roles.role_of(community_id, user_of(body)) < Role.ORGANISER:
        await ack(response_action="update", view=notice(TITLE, "Only organisers can change the settings."))
        return
    settings = await front.services.settings.get(community_id)
    changes, errors = read_form((view.get("state") or {}).get("values") or {}, settings)
    if errors:
        await ack(response_action="errors", errors=errors)
        return
    if not changes:
        await ack(response_action="update", view=notice(TITLE, "Nothing changed."))
        return
    # Saving re-plans reminders: past Slack's ack budget the modal says so, and the result replaces it.
    work = save_settings(front, community_id, changes)
    await ack_with_outcome(ack, client, view.get("id"), work, working=notice(TITLE, "Saving…"))


async def save_settings(front: SlackContext, community_id: int, changes: dict[str, object]) -> View:
    try:
        await front.services.settings.update(community_id, **changes)
        if "retention" in changes:
            await front.services.retention.check(community_id)
        front.roles.forget()
        text = "Saved: " + ", ".join(LABELS.get(name, name) for name in changes) + "."
    except UserFacingError as error:
        text = from_domain(str(error))
    return notice(TITLE, text)


async def setup_command(call: Call) -> None:
    async def build() -> View:
        settings = await call.services.settings.get(call.community_id)
        groups = await user_groups(call.front.client)
        retention = retention_note(await call.services.retention.schedule(call.community_id))
        return setup_view(settings, groups, await health_lines(call.front, settings), retention)

    await open_for_organiser(call, TITLE, CALLBACK, build)


def register(app: AsyncApp, front: SlackContext, router: Router) -> None:
    router.add(
        Subcommand(
            "setup",
            "",
            "the workspace's settings and health, in a form",
            setup_command,
            Role.ORGANISER,
            opens_modal=True,
        )
    )

    @app.view(CALLBACK)
    async def setup_submitted(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await submitted(front, ack, body, client)
