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


def plan_digests(zones: tuple[str, ...]) -> dict[str, dict[str, object]]:
    """Each zone's digest, from one process per zone, the processes run side by side."""
    processes = {
        zone: subprocess.Popen(
            [sys.executable, "-m", "tests.services.plan_under_tz"],
            cwd=REPO_ROOT,
            env={**os.environ, "TZ": zone},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for zone in zones
    }
    digests: dict[str, dict[str, object]] = {}
    try:
        for zone, process in processes.items():
            out, err = process.communicate(timeout=120)
            assert process.returncode == 0, err
            digests[zone] = json.loads(out)
    finally:
        for process in processes.values():
            if process.poll() is None:
                process.kill()
    return digests


def test_the_plan_is_identical_under_utc_london_and_new_york() -> None:
    digests = plan_digests(("UTC", "Europe/London", "America/New_York"))
    assert digests["UTC"]["examples"] == 400
    assert digests["UTC"] == digests["Europe/London"] == digests["America/New_York"]
