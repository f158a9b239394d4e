"""REST routes for application commands (global and guild).

Docs: interactions/application-commands.mdx (Get and Bulk Overwrite Global/Guild Application Commands: what
``CommandTree.sync`` does). "Registering a Command": global commands are available in every guild the app is
in (and in DMs); guild commands only in their guild. The two are stored apart (``core.commands[None]`` and
``core.commands[guild_id]``) and each PUT is counted (``core.command_puts``). A guild the bot is not in
answers 403 code 50001 (``core.guild_or_404``).
"""

from __future__ import annotations

import time
from typing import Any

from .. import limits
from ..core import Part, as_list
from ..records import JSON, ApiError
from ..transport import Ctx, RouteSpec


class CommandRoutes(Part):
    """REST routes for application commands (global and guild)."""

    def routes(self) -> list[RouteSpec]:
        return [
            ("GET", "/applications/{application_id}/commands", self._list_commands),
            ("PUT", "/applications/{application_id}/commands", self._put_commands),
            ("GET", "/applications/{application_id}/guilds/{guild_id}/commands", self._list_commands),
            ("PUT", "/applications/{application_id}/guilds/{guild_id}/commands", self._put_commands),
        ]

    def _command_scope(self, ctx: Ctx) -> int | None:
        if ctx.snowflake("application_id") != self.world.application_id:
            raise ApiError(403, 50001, "Missing Access")
        if "guild_id" in ctx.params:
            return self.core.guild_or_404(ctx.snowflake("guild_id")).id
        return None

    def _store_command(self, scope: int | None, body: JSON) -> JSON:
        ctype = int(body.get("type") or 1)
        key = (scope, str(body.get("name")), ctype)
        cmd_id = self.core.command_ids.get(key)
        if cmd_id is None:
            cmd_id = self.core.command_ids[key] = self.world.new_id()
        permissions = body.get("default_member_permissions")
        cmd: JSON = {
            "id": str(cmd_id),
            "application_id": str(self.world.application_id),
            "version": str(self.world.new_id()),
            "type": ctype,
            "name": body.get("name"),
            "name_localizations": body.get("name_localizations"),
            "description": body.get("description") or "",
            "description_localizations": body.get("description_localizations"),
            "options": as_list(body.get("options")),
            "default_member_permissions": None if permissions is None else str(permissions),
            "dm_permission": body.get("dm_permission", True),
            "nsfw": bool(body.get("nsfw", False)),
            "contexts": body.get("contexts"),
            "integration_types": body.get("integration_types") or [0],
        }
        if scope is not None:
            cmd["guild_id"] = str(scope)
        return cmd

    async def _list_commands(self, ctx: Ctx) -> Any:
        return list(self.core.commands.get(self._command_scope(ctx), []))

    async def _put_commands(self, ctx: Ctx) -> Any:
        scope = self._command_scope(ctx)
        body = ctx.body if isinstance(ctx.body, list) else []
        limits.check_commands(body)
        commands = [self._store_command(scope, c) for c in body]
        self.core.commands[scope] = commands
        self.core.commands_put_at[scope] = time.monotonic()
        self.core.command_puts[scope] = self.core.command_puts.get(scope, 0) + 1
        return commands
