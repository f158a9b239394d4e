"""Deliberation use cases (issue 22): a package of small private modules; import from here."""

from bot.services.deliberation._polis import PolisFiles, export_polis, import_polis, read_export
from bot.services.deliberation._service import (
    CONSENT_NOTICE,
    ConsentRequiredError,
    DeliberationService,
    MemberDeliberation,
    Results,
)

__all__ = [
    "CONSENT_NOTICE",
    "ConsentRequiredError",
    "DeliberationService",
    "MemberDeliberation",
    "PolisFiles",
    "Results",
    "export_polis",
    "import_polis",
    "read_export",
]
