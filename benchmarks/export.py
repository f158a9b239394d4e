"""Export and report: 100,000 answers to CSV and to XLSX through `python -m bot export`, time and peak
memory, against the sqlite3 command-line tool's CSV export of the same query; the HTML report of the same
rows through `python -m bot report`, against the CSV export. Each run is its own process, so peak memory is
that process's own (from wait4's rusage)."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from benchmarks.common import GUILD_ID, Figure, median, populate

REPO_ROOT = Path(__file__).resolve().parents[1]
REPORT_SIZES = (10_000, 100_000)
SAME_QUERY = (
    "SELECT s.week, s.title, p.position, p.text, a.user_id, a.text, a.source, a.created_at, a.updated_at, a.late "
    "FROM answers a JOIN prompts p ON p.id = a.prompt_id JOIN sessions s ON s.id = p.session_id "
    f"WHERE a.community_id = {GUILD_ID} ORDER BY s.week, p.position, a.created_at, a.id;"
)


# A small launcher runs each command: a child forked straight from this (large) process would count
# our memory as its own peak before exec replaced it.
LAUNCHER = (
    "import resource, subprocess, sys, time\n"
    "out = open(sys.argv[1], 'wb') if sys.argv[1] != '-' else subprocess.DEVNULL\n"
    "started = time.perf_counter()\n"
    "code = subprocess.run(sys.argv[2:], stdout=out, stderr=subprocess.DEVNULL).returncode\n"
    "elapsed = time.perf_counter() - started\n"
    "print(code, elapsed, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
)


def measure(command: list[str], *, stdout: Path | None = None) -> tuple[float, float]:
    """Seconds and peak resident memory (MiB) of one run of ``command``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "GUILD_", "DATABASE_"))}
    result = subprocess.run(
        [sys.executable, "-c", LAUNCHER, str(stdout) if stdout else "-", *command],
        cwd=REPO_ROOT, env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    code, elapsed, peak_kib = result.stdout.split()
    if code != "0":
        raise RuntimeError(f"{command[:4]} exited with {code}")
    return float(elapsed), int(peak_kib) / 1024  # ru_maxrss is in KiB on Linux


def bot_export(database: Path, fmt: str, out: Path) -> tuple[float, float]:
    out.unlink(missing_ok=True)
    return measure(
        [sys.executable, "-m", "bot", "export", "--db", str(database), "--guild", str(GUILD_ID),
         "--format", fmt, "--out", str(out), "--env-file", os.devnull]
    )  # fmt: skip


def bot_report(database: Path, out: Path) -> tuple[float, float]:
    out.unlink(missing_ok=True)
    return measure(
        [sys.executable, "-m", "bot", "report", "--db", str(database), "--guild", str(GUILD_ID),
         "--out", str(out), "--env-file", os.devnull]
    )  # fmt: skip


def sqlite_cli_export(database: Path, out: Path) -> tuple[float, float]:
    return measure(["sqlite3", "-csv", "-header", str(database), SAME_QUERY], stdout=out)


async def run(*, quick: bool) -> list[Figure]:
    if shutil.which("sqlite3") is None:
        raise SystemExit("the export benchmark needs the sqlite3 command-line tool (apt-get install sqlite3)")
    sizes = [1_000, 10_000] if quick else [1_000, 10_000, 100_000]
    repeats = 1 if quick else 3
    figures: list[Figure] = []
    with tempfile.TemporaryDirectory() as folder:
        workdir = Path(folder)
        peaks: dict[tuple[str, int], float] = {}
        for size in sizes:
            database = workdir / f"answers-{size}.sqlite3"
            await populate(database, sessions=12, answers=size)
            runs: dict[str, list[tuple[float, float]]] = {"csv": [], "xlsx": [], "sqlite3": [], "report": []}
            for _ in range(repeats):
                runs["sqlite3"].append(await asyncio.to_thread(sqlite_cli_export, database, workdir / "cli.csv"))
                runs["csv"].append(await asyncio.to_thread(bot_export, database, "csv", workdir / "out.csv"))
                runs["xlsx"].append(await asyncio.to_thread(bot_export, database, "xlsx", workdir / "out.xlsx"))
                if size in REPORT_SIZES:
                    runs["report"].append(await asyncio.to_thread(bot_report, database, workdir / "out.html"))
            baseline_time = median([t for t, _ in runs["sqlite3"]])
            for fmt in ("csv", "xlsx"):
                peaks[(fmt, size)] = max(m for _, m in runs[fmt])
                figures.append(
                    Figure("export", f"{fmt.upper()} time (median)", f"{size:,} answers",
                           median([t for t, _ in runs[fmt]]), baseline_time, "s",
                           "CSV ratio <= 2" if fmt == "csv" else "(reported)", "sqlite3 CLI CSV export")
                )  # fmt: skip
            if runs["report"]:
                peaks[("report", size)] = max(m for _, m in runs["report"])
                figures += [
                    Figure("report", "HTML report time (median)", f"{size:,} answers",
                           median([t for t, _ in runs["report"]]), median([t for t, _ in runs["csv"]]), "s",
                           "(reported)", "CSV export of the same rows"),
                    Figure("report", "HTML report peak memory", f"{size:,} answers", peaks[("report", size)],
                           peaks[("csv", size)], "MiB", "(reported)", "CSV export of the same rows"),
                ]  # fmt: skip
        for fmt in ("csv", "xlsx"):
            for size in sizes[1:]:
                figures.append(
                    Figure("export", f"{fmt.upper()} peak memory", f"{size:,} answers", peaks[(fmt, size)],
                           peaks[(fmt, sizes[0])], "MiB", "flat: ratio ~1", f"same export of {sizes[0]:,} answers")
                )  # fmt: skip
        report_sizes = [size for size in sizes if size in REPORT_SIZES]
        for size in report_sizes[1:]:
            figures.append(
                Figure("report", "HTML report peak memory", f"{size:,} answers", peaks[("report", size)],
                       peaks[("report", report_sizes[0])], "MiB", "flat: ratio ~1",
                       f"same report of {report_sizes[0]:,} answers")
            )  # fmt: skip
    return figures
