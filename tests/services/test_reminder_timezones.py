"""The reminder plan across clock changes is the same whatever the machine's time zone (TZ).

Each run of ``tests.services.plan_under_tz`` plans hundreds of generated sessions around the clock changes
of several zones (the same examples every time), checks every due time is exactly its offset before the
session on the UTC time line, and prints a digest of the plan as stored and as the schedule command shows
it. A process's time zone is fixed when it starts, hence one process per TZ.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.conftest import REPO_ROOT


def plan_digest(zone: str) -> dict[str, object]:
    result = subprocess.run(
        [sys.executable, "-m", "tests.services.plan_under_tz"],
        cwd=REPO_ROOT,
        env={**os.environ, "TZ": zone},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    digest: dict[str, object] = json.loads(result.stdout)
    return digest


def test_the_plan_is_identical_under_utc_london_and_new_york() -> None:
    digests = {zone: plan_digest(zone) for zone in ("UTC", "Europe/London", "America/New_York")}
    assert digests["UTC"]["examples"] == 400
    assert digests["UTC"] == digests["Europe/London"] == digests["America/New_York"]
