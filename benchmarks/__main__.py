"""``python -m benchmarks [--quick] [--check] [--only a,b]``: run, write results, check targets."""

from __future__ import annotations

import argparse
import asyncio
import datetime
import json
import platform
import sys
import time
from pathlib import Path

from .harness import machine_info
from .report import markdown, plot
from .scenarios import PROFILES, run_all

SCENARIOS = (
    "decode",
    "cpu_ceiling",
    "latency_sweep",
    "memory",
    "faults",
    "budget",
    "fleet",
    "scaling",
    "sync",
    "export",
    "import",
    "economy",
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--quick", action="store_true", help="small sizes, one run each (about a minute)")
    size.add_argument("--tiny", action="store_true", help="tiny sizes: proves the harness works (tests)")
    parser.add_argument("--check", action="store_true", help="exit 1 and name every target missed")
    parser.add_argument("--only", help="comma-separated scenarios: " + ", ".join(SCENARIOS))
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results", help="results directory")
    args = parser.parse_args(argv)
    profile = PROFILES["quick" if args.quick else "tiny" if args.tiny else "full"]
    only = set(args.only.split(",")) if args.only else None
    if only and only - set(SCENARIOS):
        parser.error(f"unknown scenario(s): {', '.join(sorted(only - set(SCENARIOS)))}")
    stamp = datetime.date.today().isoformat()
    stem = f"{stamp}-{platform.node() or 'host'}" + ("" if profile.name == "full" else f"-{profile.name}")
    args.out.mkdir(parents=True, exist_ok=True)
    extras = args.out / stem
    extras.mkdir(exist_ok=True)

    def log(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    log(f"benchmarks: profile {profile.name}, results in {args.out}/{stem}.*")
    if profile.name != "full":
        log(
            "note: the targets are set for the full profile's sizes; at these sizes some are out of reach by "
            "construction (the first page, which tells totalPages, is a round trip of its own among the few "
            "a small export needs), so read MISS here as indicative"
        )
    start = time.perf_counter()
    partial = args.out / f"{stem}.partial.json"

    def save_partial(results: dict[str, object]) -> None:
        partial.write_text(json.dumps({"profile": profile.name, "scenarios": results}, indent=2, default=str))

    scenarios = asyncio.run(run_all(profile, extras, only, log, save_partial))
    partial.unlink(missing_ok=True)
    doc = {
        "date": stamp,
        "profile": profile.name,
        "machine": machine_info(),
        "elapsed_s": round(time.perf_counter() - start, 1),
        "scenarios": scenarios,
    }
    target_json = args.out / f"{stem}.json"
    if only and target_json.exists():
        # re-running some scenarios (after a fix): merge into the existing result set
        previous = json.loads(target_json.read_text())
        if previous.get("profile") == profile.name:
            merged = previous["scenarios"]
            merged.update(scenarios)
            doc["scenarios"] = scenarios = merged
            doc["rerun"] = sorted(set(previous.get("rerun", [])) | only)
            doc["elapsed_s"] = previous.get("elapsed_s")
    (args.out / f"{stem}.json").write_text(json.dumps(doc, indent=2, default=str))
    (args.out / f"{stem}.md").write_text(markdown(doc))
    note = plot(doc, args.out / f"{stem}.png")
    if note:
        log(note)
    missed = [t for s in scenarios.values() for t in s.get("targets", []) if not t["ok"]]
    log(f"done in {doc['elapsed_s']} s: {args.out}/{stem}.json, .md, .png")
    if args.check and missed:
        for t in missed:
            log(f"MISSED: {t['target']}: {t['value']} (goal {t['comparison']} {t['goal']})")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
