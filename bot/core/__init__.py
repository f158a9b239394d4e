"""The platform-free composition root: the core every front end attaches to (see ``_core`` and ``_routing``).

adapters = {"discord": ..., "slack": ...}          # each front end's PlatformAdapters
core = build_core(settings, db, adapters=adapters)  # the services, behind routers over the adapters
...                                                  # the front ends attach (listeners, commands)
await core.start()                                   # the scheduler and the jobs
...
await core.close()
"""

from bot.core._core import Core, Ready, Services, build_core, process_owns
from bot.core._routing import NoScheduledEvents, PlatformAdapters, PlatformNotAttachedError, routers_for
from bot.domain.platform_ids import Platform

__all__ = [
    "Core",
    "NoScheduledEvents",
    "Platform",
    "PlatformAdapters",
    "PlatformNotAttachedError",
    "Ready",
    "Services",
    "build_core",
    "process_owns",
    "routers_for",
]
