"""The app manifest: valid against Slack's published schema, and asking for exactly what the features use."""

from __future__ import annotations

import json

import jsonschema
import pytest

from bot.slack_manifest import BOT_EVENTS, BOT_SCOPES, SLASH_COMMAND, build_manifest, manifest_json
from tests.conftest import REPO_ROOT

# shared/ sits beside the clone (CI, /work/main) or beside the folder of worktrees
SCHEMA = next(
    (
        root / "shared" / "slack-api-spec" / "manifest" / "manifest.schema.2.0.0.json"
        for root in (REPO_ROOT.parent, REPO_ROOT.parent.parent)
        if (root / "shared" / "slack-api-spec").is_dir()
    ),
    REPO_ROOT.parent / "shared" / "slack-api-spec" / "manifest" / "manifest.schema.2.0.0.json",
)


def test_the_manifest_validates_against_slacks_schema() -> None:
    if not SCHEMA.exists():
        pytest.skip(f"{SCHEMA} is absent")  # the check against the document is skipped, not the shape tests below
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    jsonschema.validate(build_manifest(), schema)


def test_socket_mode_app_home_interactivity_and_the_one_slash_command() -> None:
    manifest = build_manifest()
    assert manifest["settings"]["socket_mode_enabled"] is True
    assert manifest["settings"]["interactivity"]["is_enabled"] is True
    assert manifest["features"]["app_home"]["home_tab_enabled"] is True
    assert [c["command"] for c in manifest["features"]["slash_commands"]] == [SLASH_COMMAND]
    assert "url" not in manifest["features"]["slash_commands"][0]  # Socket Mode: no request URL


def test_scopes_and_events_are_exactly_the_table() -> None:
    manifest = build_manifest()
    assert manifest["oauth_config"]["scopes"]["bot"] == sorted(BOT_SCOPES)
    assert manifest["settings"]["event_subscriptions"]["bot_events"] == sorted(BOT_EVENTS)
    # files.upload is retired; the bot never posts as a user, reads DMs members type, or mentions everyone
    assert not {"files:write:user", "chat:write.customize", "channels:manage", "admin"} & set(BOT_SCOPES)


def test_the_manifest_is_json() -> None:
    assert json.loads(json.dumps(build_manifest())) == build_manifest()


def test_the_printed_manifest_is_the_manifest() -> None:
    assert json.loads(manifest_json()) == build_manifest()


def test_python_m_bot_slack_manifest_prints_it(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.cli import main

    monkeypatch.chdir(REPO_ROOT.parent)  # no .env there: the manifest needs no settings
    assert main(["slack-manifest"]) == 0
    assert json.loads(capsys.readouterr().out) == build_manifest()
    assert main(["slack-manifest", "--name", "Our workshops"]) == 0
    assert json.loads(capsys.readouterr().out)["features"]["bot_user"]["display_name"] == "Our workshops"
    with pytest.raises(SystemExit):
        main(["slack-manifest", "--name", "x" * 36])
    assert "1 to 35 characters" in capsys.readouterr().err
