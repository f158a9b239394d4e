"""The invite link, and what each permission it asks for is for: read from the one feature table."""

from __future__ import annotations

from bot.domain.permissions import FEATURE_PERMISSIONS, Permission, invite_permissions, invite_url


def invite_lines(application_id: int, guild_id: int | None = None) -> list[str]:
    """The invite link and, from the same table, what each permission it asks for is for."""
    lines = [invite_url(application_id, guild_id=guild_id), "", "It asks for these permissions, and no others:"]
    for flag in Permission(invite_permissions()):
        needs = [need for need in FEATURE_PERMISSIONS if flag in need.permissions]
        features = ", ".join(dict.fromkeys(need.feature for need in needs))
        optional = [need for need in needs if not need.required]
        note = f"; optional, {optional[0].why}" if optional and len(optional) == len(needs) else ""
        lines.append(f"  {flag.label}: {features}{note}")
    lines += ["", "Scopes: bot (to join the server) and applications.commands (its slash commands)."]
    return lines
