"""REST routes for application commands (global and guild).

Docs: interactions/application-commands.mdx (Bulk Overwrite, Create, Edit, Delete ...).
"""

from __future__ import annotations

import time
from typing import Any

from .. import limits
from ..core import Part, as_list
from ..records import JSON, ApiError
from ..transport import Ctx, Reply, RouteSpec


class CommandRoutes(Part):
    """REST routes for application commands (global and guild)."""

    def routes(self) -> list[RouteSpec]:
        return [
            ("GET", "/applications/{application_id}/commands", self._list_commands),
            ("PUT", "/applications/{application_id}/commands", self._put_commands),
            ("POST", "/applications/{application_id}/commands", self._post_command),
            ("GET", "/applications/{application_id}/commands/{command_id}", self._get_command),
            ("PATCH", "/applications/{application_id}/commands/{command_id}", self._patch_command),
            ("DELETE", "/applications/{application_id}/commands/{command_id}", self._delete_command),
            ("GET", "/applications/{application_id}/guilds/{guild_id}/commands/permissions", self._command_perms),
            ("GET", "/applications/{application_id}/guilds/{guild_id}/commands", self._list_commands),
            ("PUT", "/applications/{application_id}/guilds/{guild_id}/commands", self._put_commands),
            ("POST", "/applications/{application_id}/guilds/{guild_id}/commands", self._post_command),
            ("GET", "/applications/{application_id}/guilds/{guild_id}/commands/{command_id}", self._get_command),
            (
                "PATCH",
                "/applications/{application_id}/guilds/{guild_id}/commands/{command_id}",
                self._patch_command,
            ),
            (
                "DELETE",
                "/applications/{application_id}/guilds/{guild_id}/commands/{command_id}",
                self._delete_command,
            ),
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
            "default_member_permissions": body.get("default_member_permissions"),
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
        return commands

    async def _post_command(self, ctx: Ctx) -> Any:
        scope = self._command_scope(ctx)
        limits.check_commands([ctx.obj])
        cmd = self._store_command(scope, ctx.obj)
        existing = [c for c in self.core.commands.get(scope, []) if c["id"] != cmd["id"]]
        self.core.commands[scope] = [*existing, cmd]
        return Reply(201, cmd)

    def _find_command(self, ctx: Ctx) -> tuple[int | None, JSON]:
        scope = self._command_scope(ctx)
        cid = ctx.params["command_id"]
        for cmd in self.core.commands.get(scope, []):
            if cmd["id"] == cid:
                return scope, cmd
        raise ApiError(404, 10063, "Unknown application command")

    async def _get_command(self, ctx: Ctx) -> Any:
        return self._find_command(ctx)[1]

    async def _patch_command(self, ctx: Ctx) -> Any:
        scope, cmd = self._find_command(ctx)
        merged = {**cmd, **ctx.obj}
        limits.check_commands([merged])
        new = self._store_command(scope, merged)
        self.core.commands[scope] = [new if c["id"] == cmd["id"] else c for c in self.core.commands.get(scope, [])]
        return new

    async def _delete_command(self, ctx: Ctx) -> Any:
        scope, cmd = self._find_command(ctx)
        self.core.commands[scope] = [c for c in self.core.commands.get(scope, []) if c["id"] != cmd["id"]]
        return None

    async def _command_perms(self, ctx: Ctx) -> Any:
        self._command_scope(ctx)
        return []
