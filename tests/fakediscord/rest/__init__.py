"""The fake's REST API, one module per Discord resource. :func:`route_table` lists every route."""

from __future__ import annotations

from ..core import FakeCore
from ..transport import RouteSpec
from .channels import ChannelRoutes
from .commands import CommandRoutes
from .dms import DmRoutes
from .gateway import GatewayRoutes
from .guilds import GuildRoutes
from .interactions import InteractionRoutes
from .messages import MessageRoutes
from .scheduled_events import ScheduledEventRoutes
from .threads import ThreadRoutes
from .users import UserRoutes


def route_table(core: FakeCore) -> list[RouteSpec]:
    """(method, path template, handler) of every route, first match wins."""
    threads = ThreadRoutes(core)
    groups = [
        UserRoutes(core),
        GatewayRoutes(core),
        DmRoutes(core),
        CommandRoutes(core),
        InteractionRoutes(core),
        ChannelRoutes(core, threads),
        MessageRoutes(core),
        threads,
        GuildRoutes(core),
        ScheduledEventRoutes(core),
    ]
    return [route for group in groups for route in group.routes()]
