"""``python -m benchmarks [--quick] [--only NAME ...] [--json FILE]``: print a table and write JSON.

Every figure is measured side by side with its baseline in the same run and reported as a ratio.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import sys
from pathlib import Path

from benchmarks.common import Figure, print_table, write_json

BENCHMARKS = (
    "latency",
    "ingestion",
    "export",
    "fanout",
    "startup",
    "hostile",
    "servers",
    "postgres_latency",
    "servers_startup",
    "servers_settle",
    "settle_round_trips",
    "answers_many_servers",
    "servers_due",
    "slack_answer",
    "slack_fanout",
    "deliberation",
    "deliberation_latency",
)


async def main_async(names: list[str], quick: bool) -> list[Figure]:
    figures: list[Figure] = []
    for name in names:
        module = importlib.import_module(f"benchmarks.{name}")
        print(f"running {name}...", file=sys.stderr, flush=True)
        figures += await module.run(quick=quick)
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smaller sizes, fewer repeats (a smoke run)")
    parser.add_argument("--only", nargs="*", choices=BENCHMARKS, help="run only these")
    parser.add_argument("--json", type=Path, default=Path("benchmarks/results/latest.json"))
    args = parser.parse_args()
    names = [n for n in BENCHMARKS if not args.only or n in args.only]
    available = [n for n in names if importlib.util.find_spec(f"benchmarks.{n}") is not None]
    figures = asyncio.run(main_async(available, args.quick))
    print_table(figures)
    write_json(figures, args.json)
    print(f"\nwritten to {args.json}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
