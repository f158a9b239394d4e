"""Organisers' commands: /setup, /import, /export answers|audit, /report and /stats. Every reply is private.

Every command is organisers only: the organiser role (ORGANISER_ROLE_ID or /setup) or Manage Server,
checked by the bot on every use (cogs/_checks.py); Discord's default permissions only hide the commands.
One cog per feature, each in its own module; the texts they share are in ``_text``.
"""

from __future__ import annotations

from typing import Any

from cogs.organiser._export import ExportCog
from cogs.organiser._import import ImportCog
from cogs.organiser._report import ReportCog
from cogs.organiser._settings import SettingsCog
from cogs.organiser._stats import StatsCog


async def setup(bot: Any) -> None:
    for cog in (SettingsCog, ImportCog, ExportCog, ReportCog, StatsCog):
        await bot.add_cog(cog(bot))
