"""The driver, part 1: members use the bot's application commands, components and modals.

Each call builds the INTERACTION_CREATE Discord would send, from the commands the bot registered, and
returns an :class:`~tests.fakediscord.interactions.Interaction` handle recording what the bot answered.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from typing import Any

from ..core import Part
from ..interactions import CallbackType, Interaction, InteractionType, Modal, OptionType
from ..records import JSON
from ..world import (
    Attachment,
    Channel,
    ChannelRef,
    Member,
    Message,
    Perm,
    Role,
    User,
    UserRef,
)


class InteractionDriver(Part):
    """Acts as members through interactions (slash commands, autocomplete, buttons, selects, modals)."""

    def _interaction_channel(self, user: User, in_channel: ChannelRef | None) -> Channel:
        if in_channel is None:
            return self.world.channel("general")
        return self.world.channel(in_channel)

    def _create_interaction(
        self,
        itype: int,
        user_ref: UserRef,
        channel: Channel,
        data: JSON,
        *,
        name: str,
        message: Message | None = None,
        permissions: int | None = None,
        locale: str | None = None,
        opened_by: Interaction | None = None,
    ) -> Interaction:
        self.core.require_bot_connected()
        user = self.world.user(user_ref)
        iid = self.world.new_id()
        token = f"aW50ZXJhY3Rpb246{iid}:{secrets.token_urlsafe(48)}"
        payload: JSON = {
            "id": str(iid),
            "application_id": str(self.world.application_id),
            "type": itype,
            "token": token,
            "version": 1,
            "attachment_size_limit": self.core.attachment_size_limit,
            "data": data,
            "channel_id": str(channel.id),
            "channel": channel.to_dict(self.world),
            "entitlements": [],
            "entitlement_sku_ids": [],
        }
        actor: Member | User
        if channel.guild_id is not None:
            if not self.world.bot_in(channel.guild_id):
                raise AssertionError(f"the bot is not in the guild of {channel}; Discord sends it no interactions")
            member = self.world.maybe_member(user.id, channel.guild_id)
            if member is None:
                raise AssertionError(f"{user.username} is not a member of the guild of {channel}")
            # interactions/receiving-and-responding.mdx: member.permissions and app_permissions are the
            # member's and the app's permissions in the channel, overwrites included.
            in_channel = self.world.permissions_in(member, channel)
            if not in_channel & Perm.VIEW_CHANNEL and permissions is None:
                raise AssertionError(f"{user.username} cannot view {channel}; Discord would not let them act there")
            perms = member.permissions_override if member.permissions_override is not None else in_channel
            if permissions is not None:
                perms = permissions
            guild = self.world.guilds[channel.guild_id]
            payload.update(
                {
                    "guild_id": str(guild.id),
                    "guild": {"id": str(guild.id), "locale": guild.preferred_locale, "features": []},
                    "guild_locale": guild.preferred_locale,
                    "member": {**member.to_dict(), "permissions": str(perms)},
                    "app_permissions": str(self.core.bot_permissions(channel)),
                    "locale": locale or member.locale,
                    "context": 0,
                    "authorizing_integration_owners": {"0": str(guild.id)},
                }
            )
            payload["channel"]["permissions"] = str(perms)
            actor = member
        else:
            payload.update(
                {
                    "user": user.to_dict(),
                    "app_permissions": str(Perm.ALL & ~Perm.ADMINISTRATOR),
                    "locale": locale or "en-GB",
                    "context": 1,
                    "authorizing_integration_owners": {"0": "0"},
                }
            )
            actor = user
        if message is not None:
            payload["message"] = message.to_dict(self.world)
        interaction = Interaction(
            fake=self.core,
            id=iid,
            token=token,
            type=itype,
            payload=payload,
            user=actor,
            channel_id=channel.id,
            guild_id=channel.guild_id,
            name=name,
            component_message=message,
            opened_by=opened_by,
        )
        self.core.interactions.append(interaction)
        self.core.interactions_by_id[iid] = interaction
        self.core.interactions_by_token[token] = interaction
        self.gateway.dispatch("INTERACTION_CREATE", payload)
        return interaction

    def _resolve_command(self, command: str, guild_id: int | None) -> tuple[JSON, list[str], list[JSON]]:
        """(top-level command, [sub names...], the leaf's option specs)."""
        parts = command.strip().lstrip("/").split()
        if not parts:
            raise AssertionError("empty command name")
        cmd = self.core.command(parts[0], guild_id=guild_id)
        options = cmd.get("options") or []
        path: list[str] = []
        for part in parts[1:]:
            sub = next((o for o in options if o.get("name") == part and o.get("type") in (1, 2)), None)
            if sub is None:
                subs = [o["name"] for o in options if o.get("type") in (1, 2)]
                raise AssertionError(f"/{' '.join([parts[0], *path])} has no subcommand {part!r}; it has {subs}")
            path.append(part)
            options = sub.get("options") or []
        if any(o.get("type") in (1, 2) for o in options):
            subs = [o["name"] for o in options if o.get("type") in (1, 2)]
            raise AssertionError(f"/{command} is a group; name a subcommand: {subs}")
        return cmd, path, options

    def _option_value(self, spec: JSON, value: Any, resolved: JSON, channel: Channel) -> Any:
        """Convert a test's value for an option to the wire value, filling ``resolved``."""
        otype = int(spec["type"])
        name = spec["name"]
        if otype == OptionType.STRING:
            return str(value)
        if otype == OptionType.INTEGER:
            if isinstance(value, bool) or not isinstance(value, int):
                raise AssertionError(f"option {name!r} is INTEGER; got {value!r}")
            return value
        if otype == OptionType.NUMBER:
            return float(value)
        if otype == OptionType.BOOLEAN:
            return bool(value)
        if otype == OptionType.USER or (otype == OptionType.MENTIONABLE and not isinstance(value, Role)):
            # A mentionable given by id or name is looked up as a user first, then as a role.
            try:
                user = self.world.user(value)
            except AssertionError:
                if otype == OptionType.USER:
                    raise
            else:
                resolved.setdefault("users", {})[str(user.id)] = user.to_dict()
                member = self.world.maybe_member(user.id, channel.guild_id) if channel.guild_id else None
                if member is not None:
                    mdata = member.to_dict(include_user=False)
                    mdata["permissions"] = str(self.world.permissions_in(member, channel))
                    resolved.setdefault("members", {})[str(user.id)] = mdata
                return str(user.id)
        if otype in (OptionType.ROLE, OptionType.MENTIONABLE):
            role = self.world.role(value)
            resolved.setdefault("roles", {})[str(role.id)] = role.to_dict()
            return str(role.id)
        if otype == OptionType.CHANNEL:
            target = self.world.channel(value)
            allowed = spec.get("channel_types")
            if allowed and target.type not in allowed:
                raise AssertionError(f"option {name!r} accepts channel types {allowed}; {target} is type {target.type}")
            data = target.to_dict(self.world)
            data["permissions"] = str(self.core.bot_permissions(target))
            resolved.setdefault("channels", {})[str(target.id)] = data
            return str(target.id)
        if otype == OptionType.ATTACHMENT:
            if isinstance(value, Attachment):
                att = value
            else:
                if not isinstance(value, tuple) or len(value) not in (2, 3):
                    raise AssertionError(f"option {name!r} is an ATTACHMENT: pass (filename, bytes[, content_type])")
                att = self.core.store_attachment(
                    channel.id, value[0], value[1], content_type=value[2] if len(value) == 3 else None, ephemeral=True
                )
            resolved.setdefault("attachments", {})[str(att.id)] = att.to_dict()
            return str(att.id)
        raise AssertionError(f"option {name!r}: unsupported option type {otype}")

    def _build_options(
        self,
        specs: list[JSON],
        values: Mapping[str, Any],
        channel: Channel,
        resolved: JSON,
        *,
        command: str,
        focused: str | None = None,
    ) -> list[JSON]:
        by_name = {s["name"]: s for s in specs}
        unknown = [k for k in values if k not in by_name]
        if unknown:
            raise AssertionError(f"/{command} has no option(s) {unknown}; options: {list(by_name)}")
        if focused is None:
            missing = [s["name"] for s in specs if s.get("required") and s["name"] not in values]
            if missing:
                raise AssertionError(f"/{command}: required option(s) {missing} missing (Discord would not send it)")
        out: list[JSON] = []
        for spec in specs:
            name = spec["name"]
            if name not in values:
                continue
            if name == focused:
                out.append({"name": name, "type": spec["type"], "value": str(values[name]), "focused": True})
                continue
            value = self._option_value(spec, values[name], resolved, channel)
            choices = spec.get("choices")
            if choices and value not in [c["value"] for c in choices]:
                raise AssertionError(f"/{command} option {name!r}: {value!r} is not one of the choices {choices}")
            if spec.get("min_value") is not None and isinstance(value, int | float) and value < spec["min_value"]:
                raise AssertionError(f"/{command} option {name!r}: {value} < min_value {spec['min_value']}")
            if spec.get("max_value") is not None and isinstance(value, int | float) and value > spec["max_value"]:
                raise AssertionError(f"/{command} option {name!r}: {value} > max_value {spec['max_value']}")
            if isinstance(value, str) and spec["type"] == OptionType.STRING:
                if spec.get("max_length") is not None and len(value) > spec["max_length"]:
                    raise AssertionError(f"/{command} option {name!r} longer than max_length {spec['max_length']}")
                if spec.get("min_length") is not None and len(value) < spec["min_length"]:
                    raise AssertionError(f"/{command} option {name!r} shorter than min_length {spec['min_length']}")
            out.append({"name": name, "type": spec["type"], "value": value})
        return out

    def _command_data(
        self,
        command: str,
        values: Mapping[str, Any],
        channel: Channel,
        *,
        focused: str | None = None,
    ) -> tuple[JSON, JSON]:
        cmd, path, specs = self._resolve_command(command, channel.guild_id)
        resolved: JSON = {}
        options = self._build_options(specs, values, channel, resolved, command=command, focused=focused)
        for sub_name in reversed(path):
            parent_specs = self._sub_specs(cmd, path[: path.index(sub_name)])
            sub = next(o for o in parent_specs if o["name"] == sub_name)
            options = [{"name": sub_name, "type": sub["type"], "options": options}]
        data: JSON = {"id": cmd["id"], "name": cmd["name"], "type": 1, "options": options}
        if cmd.get("guild_id") is not None:
            data["guild_id"] = cmd["guild_id"]
        if resolved:
            data["resolved"] = resolved
        return cmd, data

    @staticmethod
    def _sub_specs(cmd: JSON, path: list[str]) -> list[JSON]:
        options: list[JSON] = cmd.get("options") or []
        for part in path:
            options = next(o for o in options if o["name"] == part).get("options") or []
        return options

    def _check_command_allowed(self, cmd: JSON, user: User, channel: Channel) -> None:
        required = cmd.get("default_member_permissions")
        if channel.guild_id is None:
            contexts = cmd.get("contexts")
            if (contexts is not None and 1 not in contexts) or cmd.get("guild_id") is not None:
                raise AssertionError(f"/{cmd['name']} is not available in DMs (contexts={contexts})")
            return
        if required in (None, ""):
            return
        member = self.world.member(user, guild_id=channel.guild_id)
        perms = self.world.base_permissions(member)
        if int(required) == 0 or (perms & int(required)) != int(required):
            raise AssertionError(
                f"Discord would hide /{cmd['name']} from {user.username} (default_member_permissions={required}); "
                "pass check_permissions=False to simulate an admin override"
            )

    async def slash(
        self,
        user: UserRef,
        command: str,
        /,
        *,
        in_channel: ChannelRef | None = None,
        options: Mapping[str, Any] | None = None,
        permissions: int | None = None,
        check_permissions: bool = True,
        locale: str | None = None,
        **option_values: Any,
    ) -> Interaction:
        """Invoke ``/command`` (``"group sub"`` for subcommands) as ``user``; returns the handle.

        Options come as keyword arguments (or ``options={...}`` for names that clash with the
        parameters here). Values: str/int/float/bool; members/users/roles/channels as objects, ids
        or names; attachments as ``(filename, bytes[, content_type])``. The payload is built from the
        command the bot REGISTERED, so option types are right. ``in_channel`` defaults to #general
        (use ``fake.dm_channel(user)`` for a DM). ``permissions`` overrides ``member.permissions``;
        ``check_permissions=False`` lets a member use a command Discord would hide from them.
        """
        channel = self._interaction_channel(self.world.user(user), in_channel)
        values = {**(options or {}), **option_values}
        cmd, data = self._command_data(command, values, channel)
        if check_permissions:
            self._check_command_allowed(cmd, self.world.user(user), channel)
        return self._create_interaction(
            InteractionType.APPLICATION_COMMAND,
            user,
            channel,
            data,
            name=command,
            permissions=permissions,
            locale=locale,
        )

    async def autocomplete(
        self,
        user: UserRef,
        command: str,
        /,
        *,
        focused: str,
        in_channel: ChannelRef | None = None,
        options: Mapping[str, Any] | None = None,
        timeout: float = 5.0,
        **option_values: Any,
    ) -> list[JSON]:
        """Send an autocomplete interaction (``focused`` = option being typed) and return the choices."""
        i = await self.autocomplete_interaction(
            user, command, focused=focused, in_channel=in_channel, options=options, **option_values
        )
        cb = await i.response(timeout)
        if cb.type != CallbackType.APPLICATION_COMMAND_AUTOCOMPLETE_RESULT:
            raise AssertionError(f"autocomplete for /{command} answered with {cb.type_name}")
        return i.choices

    async def autocomplete_interaction(
        self,
        user: UserRef,
        command: str,
        /,
        *,
        focused: str,
        in_channel: ChannelRef | None = None,
        options: Mapping[str, Any] | None = None,
        **option_values: Any,
    ) -> Interaction:
        """Like :meth:`autocomplete` but returns the handle without waiting."""
        channel = self._interaction_channel(self.world.user(user), in_channel)
        values = {**(options or {}), **option_values}
        values.setdefault(focused, "")
        _, data = self._command_data(command, values, channel, focused=focused)
        return self._create_interaction(
            InteractionType.APPLICATION_COMMAND_AUTOCOMPLETE, user, channel, data, name=command
        )

    async def click(
        self,
        user: UserRef,
        message: Message | int,
        custom_id: str,
        /,
        *,
        values: list[Any] | None = None,
    ) -> Interaction:
        """Click a button (or choose ``values`` in a select) with ``custom_id`` on a message the bot sent."""
        msg = message if isinstance(message, Message) else self.core.message(message)
        comp = msg.find_component(custom_id)
        if comp is None:
            raise AssertionError(f"message {msg.id} has no component {custom_id!r}; it has {msg.custom_ids}")
        if comp.get("disabled"):
            raise AssertionError(f"component {custom_id!r} is disabled; Discord would not let {user} click it")
        ctype = int(comp["type"])
        channel = self.world.channels[msg.channel_id]
        data: JSON = {"custom_id": custom_id, "component_type": ctype}
        if ctype != 2:
            chosen = list(values or [])
            resolved: JSON = {}
            if ctype == 3:
                valid = [o["value"] for o in comp.get("options") or []]
                bad = [v for v in chosen if v not in valid]
                if bad:
                    raise AssertionError(f"select {custom_id!r} has no option(s) {bad}; options: {valid}")
                data["values"] = chosen
            else:
                spec_type = {5: OptionType.USER, 6: OptionType.ROLE, 7: OptionType.MENTIONABLE, 8: OptionType.CHANNEL}[
                    ctype
                ]
                data["values"] = [
                    self._option_value({"type": spec_type, "name": custom_id}, v, resolved, channel) for v in chosen
                ]
                data["resolved"] = resolved
            lo, hi = comp.get("min_values", 1), comp.get("max_values", 1)
            if not lo <= len(chosen) <= hi:
                raise AssertionError(f"select {custom_id!r} takes {lo}..{hi} values, got {len(chosen)}")
        elif values:
            raise AssertionError("values= only applies to selects")
        return self._create_interaction(
            InteractionType.MESSAGE_COMPONENT, user, channel, data, name=custom_id, message=msg
        )

    async def submit_modal(
        self,
        interaction: Interaction,
        values: Mapping[str, Any] | None = None,
        /,
        *,
        user: UserRef | None = None,
        validate: bool = True,
        timeout: float = 5.0,
    ) -> Interaction:
        """Fill and submit the modal the bot answered ``interaction`` with; returns the MODAL_SUBMIT handle.

        ``values`` maps custom_id or label to the value (text inputs: str; selects/checkbox groups:
        list; checkbox: bool; file upload: list of ``(filename, bytes)``). Unnamed text inputs keep
        their pre-filled value (or ""). With ``validate`` the fake refuses what Discord's client would
        (missing required input, length outside min/max). Waits up to ``timeout`` for the modal.
        """
        modal: Modal = await interaction.wait_modal(timeout)
        values = dict(values or {})
        by_key: dict[str, Any] = {}
        for key, value in values.items():
            field_ = modal.field(key)
            by_key[field_.custom_id] = value
        resolved: JSON = {}
        channel = self.world.channels.get(interaction.channel_id) or self.world.dm_channel(interaction.user.id)
        counter = iter(range(1, 1000))

        def submitted(comp: JSON, label: str | None) -> JSON:
            ctype = int(comp.get("type", 0))
            cid = comp.get("custom_id")
            out: JSON = {"type": ctype, "id": comp.get("id") or next(counter)}
            if cid is None:
                return out
            out["custom_id"] = cid
            given = by_key.get(cid)
            required = bool(comp.get("required", True))
            if ctype == 4:
                value = str(given) if given is not None else str(comp.get("value") or "")
                if validate:
                    if required and not value:
                        raise AssertionError(f"modal input {label or cid!r} is required; pass a value")
                    lo, hi = comp.get("min_length"), comp.get("max_length")
                    if value and lo is not None and len(value) < lo:
                        raise AssertionError(f"modal input {label or cid!r}: {len(value)} chars < min_length {lo}")
                    if hi is not None and len(value) > hi:
                        raise AssertionError(f"modal input {label or cid!r}: {len(value)} chars > max_length {hi}")
                out["value"] = value
            elif ctype in (3, 5, 6, 7, 8, 22):
                chosen = list(given) if isinstance(given, list | tuple) else ([] if given is None else [given])
                if ctype in (3, 22):
                    valid = [o["value"] for o in comp.get("options") or []]
                    bad = [v for v in chosen if v not in valid]
                    if bad and validate:
                        raise AssertionError(f"modal select {label or cid!r} has no option(s) {bad}; options: {valid}")
                    out["values"] = chosen
                else:
                    spec_type = {
                        5: OptionType.USER,
                        6: OptionType.ROLE,
                        7: OptionType.MENTIONABLE,
                        8: OptionType.CHANNEL,
                    }[ctype]
                    out["values"] = [
                        self._option_value({"type": spec_type, "name": cid}, v, resolved, channel) for v in chosen
                    ]
                if validate and required and not chosen:
                    raise AssertionError(f"modal input {label or cid!r} is required; pass a value")
            elif ctype == 19:
                files = list(given or [])
                ids = []
                for f in files:
                    att = self.core.store_attachment(channel.id, f[0], f[1], ephemeral=True)
                    resolved.setdefault("attachments", {})[str(att.id)] = att.to_dict()
                    ids.append(str(att.id))
                if validate and required and not ids:
                    raise AssertionError(f"modal file upload {label or cid!r} is required")
                out["values"] = ids
            elif ctype == 21:
                out["value"] = given
            elif ctype == 23:
                out["value"] = bool(given)
            return out

        components: list[JSON] = []
        for comp in modal.components:
            ctype = comp.get("type")
            if ctype == 18:
                inner = comp.get("component") or {}
                components.append(
                    {
                        "type": 18,
                        "id": comp.get("id") or next(counter),
                        "component": submitted(inner, comp.get("label")),
                    }
                )
            elif ctype == 1:
                components.append(
                    {
                        "type": 1,
                        "id": comp.get("id") or next(counter),
                        "components": [submitted(c, c.get("label")) for c in comp.get("components") or []],
                    }
                )
            else:
                components.append({"type": ctype, "id": comp.get("id") or next(counter)})
        data: JSON = {"custom_id": modal.custom_id, "components": components}
        if resolved:
            data["resolved"] = resolved
        return self._create_interaction(
            InteractionType.MODAL_SUBMIT,
            user or interaction.user,
            channel,
            data,
            name=modal.custom_id,
            message=interaction.component_message,
            opened_by=interaction,
        )
