"""System programs some tests need (Chromium, LibreOffice), installed by scripts/install-test-deps.

Under CI (``CI`` set) a missing program fails the test: a check that silently did not run is no check. On a
developer's machine without it the test is skipped, with the command that installs it.
"""

from __future__ import annotations

import os
import shutil

import pytest


def require_program(*names: str) -> str:
    """The path of the first of ``names`` found on PATH; fails (CI) or skips the test when there is none."""
    for name in names:
        path = shutil.which(name)
        if path is not None:
            return path
    message = f"{names[0]} is not installed: run scripts/install-test-deps"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)
