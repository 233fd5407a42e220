"""Write the result set: JSON, a Markdown table per scenario, and PNG plots."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .harness import fmt_table

COLUMNS = {
    "latency_sweep": [
        "name",
        "latency_ms",
        "concurrency",
        "runs",
        "seconds_median",
        "seconds_min",
        "seconds_max",
        "pages_per_s",
        "rows_per_s",
        "peak_rss_growth_mb",
        "efficiency",
        "speedup_vs_sequential",
    ],
    "cpu_ceiling": ["name", "concurrency", "runs", "seconds_median", "seconds_min", "seconds_max", "rows_per_s"],
    "decode": ["decoder", "rows_per_s", "min", "max", "vs_json_dataclasses"],
    "memory": [
        "contender",
        "rows",
        "concurrency",
        "peak_rss_growth_mb",
        "min_mb",
        "max_mb",
        "growth_second_half_mb",
        "seconds",
    ],
    "faults": [
        "name",
        "runs",
        "seconds_median",
        "seconds_min",
        "seconds_max",
        "rows_per_s",
        "retries",
        "responses",
        "goodput_vs_fault_free",
    ],
    "budget": [
        "client",
        "server_windows",
        "retry_after",
        "pages",
        "runs",
        "seconds_median",
        "seconds_min",
        "seconds_max",
        "ideal_seconds",
        "goodput_share_of_budget",
        "requests_wasted",
        "429s",
        "refetched_pages",
    ],
    "fleet": ["fleet", "processes", "server_windows", "rows", "requests", "429s", "429_share", "seconds"],
    "scaling": [
        "name",
        "runs",
        "seconds_median",
        "seconds_min",
        "seconds_max",
        "rows",
        "pages",
        "rows_per_s",
        "vs_single_campaign",
    ],
    "export": [
        "format",
        "rows",
        "runs",
        "fetch_alone_rows_per_s",
        "export_rows_per_s",
        "export_vs_fetch",
        "peak_rss_growth_mb",
    ],
    "import": [
        "case",
        "rows",
        "runs",
        "batches",
        "bare_rows_per_s",
        "sdk_rows_per_s",
        "sdk_vs_bare",
        "seconds_median",
        "ideal_seconds",
        "goodput_share_of_budget",
        "429s",
    ],
    "sync": [
        "store",
        "rows",
        "fetch_alone_rows_per_s",
        "bare_load_rows_per_s",
        "first_sync_rows_per_s",
        "first_sync_vs_bare",
        "sync_vs_max_fetch_bare",
        "peak_rss_growth_mb",
        "resync_final_requests",
        "resync_final_vs_first_time",
        "resync_unchanged_rows_written",
        "resync_unchanged_vs_fetch",
    ],
}


def markdown(doc: dict[str, Any]) -> str:
    m = doc["machine"]
    out = [
        f"# Benchmark results: {doc['date']} on {m['host']}",
        "",
        f"Profile `{doc['profile']}`; {m['cpus']} CPUs, Python {m['python']}, aiohttp {m['aiohttp']}, "
        f"msgspec {m['msgspec']}, uvloop {m['uvloop']}, loop {m['event_loop']}. The emulator runs in its own "
        "process. Times are medians of the runs shown, with min and max.",
        "",
    ]
    for name, section in doc["scenarios"].items():
        out.append(f"## {name.replace('_', ' ')}")
        out.append("")
        if section.get("skipped"):
            out.append(f"Skipped: {section['skipped']}")
            out.append("")
            continue
        if section.get("rows"):
            out.append(fmt_table(section["rows"], COLUMNS.get(name, list(section["rows"][0]))))
            out.append("")
        if section.get("summary"):
            out.append("Summary: `" + json.dumps(section["summary"]) + "`")
            out.append("")
    out.append("## Targets")
    out.append("")
    targets = [t for s in doc["scenarios"].values() for t in s.get("targets", [])]
    out.append(
        fmt_table(
            [{**t, "ok": "yes" if t["ok"] else "**MISSED**"} for t in targets],
            ["target", "value", "comparison", "goal", "ok"],
        )
    )
    return "\n".join(out) + "\n"


def plot(doc: dict[str, Any], path: Path) -> str | None:
    """Latency sweep and memory over time; returns a note instead when there is nothing to draw
    or matplotlib is missing."""
    scen = doc["scenarios"]
    sweep = scen.get("latency_sweep", {}).get("rows", [])
    if not sweep and not scen.get("memory", {}).get("series"):
        # a run of other scenarios only (``--only sync``): no empty figure next to its tables
        return "no latency sweep or memory series in these results: no plot"
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return "matplotlib not installed (pip install 'korecampaign-async[bench]'): no plot"
    fig, axes = plt.subplots(1, 2, figsize=(13, 5))
    ax = axes[0]
    for latency in sorted({r["latency_ms"] for r in sweep}):
        kc = [r for r in sweep if r["name"] == "korecampaign" and r["latency_ms"] == latency]
        if kc:
            ax.plot(
                [r["concurrency"] for r in kc],
                [r["rows_per_s"] for r in kc],
                marker="o",
                label=f"korecampaign {latency:g} ms",
            )
        seq = [r for r in sweep if r["name"] == "sequential" and r["latency_ms"] == latency]
        if seq:
            ax.axhline(seq[0]["rows_per_s"], linestyle=":", linewidth=1, color=ax.lines[-1].get_color() if kc else None)
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.set_xlabel("max_concurrency")
    ax.set_ylabel("rows/s (dotted: sequential)")
    ax.set_title("Latency sweep")
    ax.legend(fontsize=8)
    ax = axes[1]
    for name, points in scen.get("memory", {}).get("series", {}).items():
        ax.plot([t for t, _ in points], [mb for _, mb in points], label=name)
    ax.set_xlabel("seconds")
    ax.set_ylabel("RSS growth (MB)")
    ax.set_title("Memory while streaming")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return None
