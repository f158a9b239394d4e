"""Slack's part of `python -m bot check` (and of the setup view's Health): one line per problem, with its fix."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

from bot.domain.platform_ids import slack_id_to_int
from bot.domain.preflight import Status
from bot.preflight.slack import SlackPlaces, slack_findings
from tests.conftest import REPO_ROOT
from tests.fakeslack import FakeSlack
from tests.slack.delivery_fakes import FakeWebClient, local_slack, slack_error  # noqa: F401 - the fixture

SCOPES = {"chat:write", "im:write", "channels:history"}


def lines(findings: list) -> list[str]:  # type: ignore[type-arg]
    return [f.line() for f in findings]


async def test_a_workspace_set_up_right_has_no_problem() -> None:
    client = FakeWebClient(scopes="chat:write,im:write,channels:history")
    client.add_channel("C0REMIND", name="reminders")
    client.usergroups = [{"id": "S0ORG", "handle": "organisers", "date_delete": 0}]
    places = SlackPlaces(reminder_channel_id=slack_id_to_int("C0REMIND"), organiser_group_id=slack_id_to_int("S0ORG"))
    findings = await slack_findings(
        client, app_token="xapp-1", places=places, expected_scopes=SCOPES, app_client=client
    )  # type: ignore[arg-type]
    assert [f.status for f in findings] == [Status.OK] * 5, lines(findings)


async def test_each_problem_is_one_line_with_its_fix() -> None:
    client = FakeWebClient(scopes="chat:write,im:write,admin")
    client.add_channel("C0REMIND", name="reminders", member=False)
    client.add_channel("C0OLD", name="old", is_archived=True)
    client.usergroups = [{"id": "S0FAC", "handle": "facilitators", "date_delete": 1700000000}]
    places = SlackPlaces(
        reminder_channel_id=slack_id_to_int("C0REMIND"),
        discussion_channel_id=slack_id_to_int("C0OLD"),
        organiser_group_id=slack_id_to_int("S0GONE"),
        facilitator_group_id=slack_id_to_int("S0FAC"),
    )
    findings = await slack_findings(client, app_token=None, places=places, expected_scopes=SCOPES)  # type: ignore[arg-type]
    problems = [f for f in findings if f.status is not Status.OK]
    texts = lines(problems)
    assert any("lacks channels:history" in t for t in texts)
    assert any("never uses: admin" in t for t in texts)
    assert any("SLACK_APP_TOKEN is not set" in t for t in texts)
    assert any("#reminders" in t and "/invite" in t for t in texts)
    assert any("#old" in t and "archived" in t for t in texts)
    assert any("S0GONE no longer exists" in t for t in texts)
    assert any("@facilitators" in t and "disabled" in t for t in texts)
    assert all(f.fix for f in problems)


async def test_a_missing_history_scope_says_what_it_costs_the_reminders() -> None:
    """Without a history scope the outbox check cannot look, and Slack drops no repeated post: the check says that
    a reminder interrupted by a crash is then given up, not sent twice, so that organisers grant the scope."""
    client = FakeWebClient(scopes="chat:write,im:write")
    client.add_channel("C0REMIND", name="reminders")
    places = SlackPlaces(reminder_channel_id=slack_id_to_int("C0REMIND"))
    expected = SCOPES | {"im:history"}
    findings = await slack_findings(
        client, app_token="xapp-1", places=places, expected_scopes=expected, app_client=client
    )  # type: ignore[arg-type]
    [scopes] = [f for f in findings if f.topic == "Slack scopes"]
    assert scopes.status is Status.PROBLEM
    assert scopes.text.startswith("the app lacks channels:history, im:history: without it, a reminder the bot")
    assert "in the public reminder channel or the members' reminder DMs when it stopped" in scopes.text
    assert "as Slack does not drop a repeated post, the bot gives that reminder up" in scopes.text
    assert scopes.fix.startswith("To grant them, paste `python -m bot slack-manifest`")


async def test_a_refused_token_is_the_only_finding() -> None:
    client = FakeWebClient()
    client.errors["auth.test"].append(slack_error("invalid_auth"))
    [finding] = await slack_findings(client, app_token="xapp", places=SlackPlaces(), expected_scopes=SCOPES)  # type: ignore[arg-type]
    assert finding.status is Status.PROBLEM and "SLACK_BOT_TOKEN" in finding.line()


async def test_a_refused_app_token_and_a_plan_without_user_groups() -> None:
    client = FakeWebClient(scopes="chat:write,im:write,channels:history")
    client.errors["apps.connections.open"].append(slack_error("invalid_auth"))
    client.errors["usergroups.list"].append(slack_error("paid_teams_only"))
    places = SlackPlaces(organiser_group_id=slack_id_to_int("S0ORG"))
    findings = await slack_findings(
        client, app_token="xapp-bad", places=places, expected_scopes=SCOPES, app_client=client
    )  # type: ignore[arg-type]
    texts = lines(findings)
    assert any("refused SLACK_APP_TOKEN" in t for t in texts)
    assert any("no user groups" in t for t in texts)


async def test_python_m_bot_check_reports_the_slack_workspace(local_slack: FakeSlack, tmp_path: Path) -> None:  # noqa: F811
    env = tmp_path / ".env"
    env.write_text(
        f"SLACK_BOT_TOKEN={local_slack.bot_token}\nSLACK_APP_TOKEN={local_slack.app_token}\n"
        f"SLACK_API_URL={local_slack.api_url}\nDATABASE_PATH={tmp_path / 'bot.sqlite3'}\n",
        encoding="utf-8",
    )
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "SLACK_", "GUILD_", "DATABASE_"))}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "check", "--env-file", str(env),
        cwd=REPO_ROOT, env=clean, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(process.communicate(), 60)
    text = out.decode()
    assert "Checking the Slack workspace:" in text, err.decode()
    assert "✓ Slack bot token: works in the workspace" in text
    assert "✓ Socket Mode: reachable with the app-level token." in text
    assert local_slack.bot_token not in text + err.decode() and local_slack.app_token not in text + err.decode()
    assert process.returncode == 0, text + err.decode()

    local_slack.core.app_token = "xapp-1-A0000FAKE01-1-revoked"  # the app-level token no longer works
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "check", "--env-file", str(env),
        cwd=REPO_ROOT, env=clean, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(process.communicate(), 60)
    assert "✗ Socket Mode: Slack refused SLACK_APP_TOKEN" in out.decode(), out.decode() + err.decode()
    assert process.returncode != 0
