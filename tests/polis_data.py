"""Where the two real Pol.is conversations are: ``shared/polis-open-data`` beside the checkout (or beside the
folder that holds it, for a git worktree kept one level further down).

Data was gathered using the Polis software (compdemocracy.org/polis) and is sub-licensed under CC BY 4.0 with
Attribution to The Computational Democracy Project. The data and more information about how the data was
collected can be found at https://compdemocracy.org/case-studies/2014-seattle-15-per-hour and
https://compdemocracy.org/case-studies/2022-london-youth-policing.
"""

from __future__ import annotations

import csv
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
CONVERSATIONS = ("15-per-hour-seattle", "london.youth.policing")


def polis_data() -> Path:
    for base in (REPO_ROOT.parent, REPO_ROOT.parent.parent):
        candidate = base / "shared" / "polis-open-data"
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError("shared/polis-open-data is not beside the checkout: the tests need it (see the README)")


def polis_groups(folder: Path) -> dict[int, int]:
    """Pol.is's own opinion group of each participant it placed."""
    with (folder / "participants-votes.csv").open(newline="") as file:
        return {int(row["participant"]): int(row["group-id"]) for row in csv.DictReader(file) if row["group-id"]}
