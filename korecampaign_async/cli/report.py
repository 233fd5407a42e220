"""``korecampaign report``: one self-contained HTML file about a campaign's outcomes.

The figures come either straight from the API (:func:`gather_from_api`: one pass over the
campaign's contacts) or from a database ``korecampaign sync`` keeps (:func:`gather_from_db`,
which adds outcomes over time from ``contact_status_changes``). :func:`render_html` turns
them into a page that opens offline: inline CSS, charts as inline SVG, no script and no
request for anything (so nothing can fail to load and nothing logs to the console).
"""

from __future__ import annotations

import html
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from ..client import KoreCampaignClient
from ..models.records import CampaignContact

__all__ = ["CampaignReport", "gather_from_api", "gather_from_db", "render_html"]


@dataclass
class CampaignReport:
    """What the report shows."""

    campaign_id: str
    name: str | None = None
    status: str | None = None
    source: str = "api"
    generated_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    contacts: int = 0
    reached: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)
    bot_statuses: Counter[str] = field(default_factory=Counter)
    attempts: Counter[int] = field(default_factory=Counter)
    dispositions: Counter[str] = field(default_factory=Counter)
    per_day: dict[str, Counter[str]] = field(default_factory=dict)  # day -> outcome -> changes

    def add(self, outcome: str, bot_status: str, attempts: int, dispositions: list[str]) -> None:
        self.contacts += 1
        self.reached += outcome != ""
        self.outcomes[outcome or "(not reached yet)"] += 1
        self.bot_statuses[bot_status or "(none)"] += 1
        self.attempts[attempts] += 1
        self.dispositions.update(dispositions)


async def gather_from_api(client: KoreCampaignClient, campaign_id: str) -> CampaignReport:
    """The report of one voice campaign, read from the API (one pass over its contacts)."""
    campaign = await client.get_campaign(campaign_id)
    report = CampaignReport(campaign_id, campaign.name, campaign.status)
    row: CampaignContact
    async for row in client.iter_campaign_contacts(campaign_id):
        report.add(
            row.dialer_outcome, row.bot_outbound_status, row.number_of_attempts_so_far, row.agent_disposition_codes
        )
    return report


async def gather_from_db(url: str, campaign_id: str, stream_id: str | None = None) -> CampaignReport:
    """The report of one campaign from a synced database (rows not gone), with the changes of
    outcome per day from its history table."""
    import json

    from ..stores import open_store, query

    store = open_store(url)
    await store.open()  # checks the database and its schema like a sync does
    await store.close()
    where = "campaign_id = ?" + (" AND stream_id = ?" if stream_id else "")
    args: tuple[Any, ...] = (campaign_id, stream_id) if stream_id else (campaign_id,)
    queries = {
        "campaign": f"SELECT name, status FROM campaigns WHERE {where}",
        "rows": "SELECT dialer_outcome, bot_outbound_status, number_of_attempts_so_far, agent_disposition_codes "
        f"FROM campaign_contacts WHERE {where} AND gone_at IS NULL",
        "days": f"SELECT observed_at, dialer_outcome_after FROM contact_status_changes WHERE {where}",
    }
    results = {name: await query(url, sql, *args) for name, sql in queries.items()}
    first = results["campaign"][0] if results["campaign"] else (None, None)
    report = CampaignReport(campaign_id, first[0], first[1], source="database")
    for outcome, bot_status, attempts, codes in results["rows"]:
        parsed = json.loads(codes) if isinstance(codes, str) else list(codes or [])
        report.add(outcome or "", bot_status or "", int(attempts or 0), parsed)
    for observed_at, outcome in results["days"]:
        day = observed_at.date().isoformat() if isinstance(observed_at, datetime) else str(observed_at)[:10]
        report.per_day.setdefault(day, Counter())[outcome or "(not reached yet)"] += 1
    return report


# -- rendering ----------------------------------------------------------------------------------
_CSS = """
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#1c2331;background:#f5f6fa}
header{background:#3949ab;color:#fff;padding:22px 32px}header h1{margin:0;font-size:22px}
header p{margin:4px 0 0;opacity:.85}main{display:grid;grid-template-columns:repeat(auto-fit,minmax(420px,1fr));
gap:18px;padding:22px 32px}section{background:#fff;border-radius:8px;padding:16px 20px;box-shadow:0 1px 3px #0002}
h2{font-size:16px;margin:0 0 10px}.totals{display:flex;gap:28px}.totals div{font-size:13px;color:#555}
.totals b{display:block;font-size:26px;color:#1c2331}svg text{font-size:12px;fill:#1c2331}footer{padding:0 32px 24px;
color:#666;font-size:12px}
"""
_COLORS = ("#3949ab", "#00897b", "#f4511e", "#8e24aa", "#fdd835", "#6d4c41", "#039be5", "#7cb342")


def _bars(counts: list[tuple[str, int]], total: int | None = None) -> str:
    """A horizontal bar chart as inline SVG."""
    if not counts:
        return "<p>No data.</p>"
    top = max(n for _, n in counts) or 1
    total = total or sum(n for _, n in counts) or 1
    row, width, label_w = 26, 560, 170
    parts = [f'<svg width="{width}" height="{row * len(counts) + 4}" role="img">']
    for i, (label, n) in enumerate(counts):
        y = i * row + 2
        bar = max(1, int((width - label_w - 110) * n / top))
        parts.append(
            f'<text x="0" y="{y + 16}">{html.escape(label[:26])}</text>'
            f'<rect x="{label_w}" y="{y + 3}" width="{bar}" height="18" rx="3" fill="{_COLORS[i % len(_COLORS)]}"/>'
            f'<text x="{label_w + bar + 6}" y="{y + 16}">{n:,} ({100 * n / total:.1f} %)</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _per_day(per_day: dict[str, Counter[str]]) -> str:
    """Stacked columns per day as inline SVG: changes of outcome observed by syncs."""
    if not per_day:
        return "<p>No outcome changes recorded yet (they appear once a second sync sees outcomes move).</p>"
    days = sorted(per_day)
    outcomes = sorted({o for c in per_day.values() for o in c})
    top = max(sum(c.values()) for c in per_day.values()) or 1
    col, height, left = 46, 180, 10
    width = left + col * len(days) + 160
    parts = [f'<svg width="{width}" height="{height + 40}" role="img">']
    for i, day in enumerate(days):
        y = height
        for j, outcome in enumerate(outcomes):
            n = per_day[day][outcome]
            if not n:
                continue
            h = max(1, int((height - 20) * n / top))
            y -= h
            color = _COLORS[j % len(_COLORS)]
            parts.append(f'<rect x="{left + i * col}" y="{y}" width="{col - 10}" height="{h}" fill="{color}"/>')
        parts.append(f'<text x="{left + i * col}" y="{height + 16}">{html.escape(day[5:])}</text>')
    for j, outcome in enumerate(outcomes):
        x = left + col * len(days) + 10
        parts.append(
            f'<rect x="{x}" y="{10 + j * 20}" width="12" height="12" fill="{_COLORS[j % len(_COLORS)]}"/>'
            f'<text x="{x + 18}" y="{21 + j * 20}">{html.escape(outcome)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def render_html(report: CampaignReport) -> str:
    """The report as one self-contained HTML page."""
    title = html.escape(report.name or report.campaign_id)
    reached = 100 * report.reached / report.contacts if report.contacts else 0.0
    attempts = sorted(report.attempts.items())
    sections = [
        (
            "Totals",
            '<div class="totals">'
            f"<div><b>{report.contacts:,}</b>contacts</div>"
            f"<div><b>{report.reached:,}</b>with an outcome ({reached:.1f} %)</div>"
            f"<div><b>{sum(report.dispositions.values()):,}</b>disposition codes</div></div>",
        ),
        ("Dialer outcomes", _bars(report.outcomes.most_common())),
        ("Bot outbound status", _bars(report.bot_statuses.most_common())),
        ("Attempts so far", _bars([(f"{n} attempt{'s' if n != 1 else ''}", c) for n, c in attempts])),
        ("Top disposition codes", _bars(report.dispositions.most_common(10), sum(report.dispositions.values()))),
    ]
    if report.source == "database":
        sections.append(("Outcome changes per day (from the sync history)", _per_day(report.per_day)))
    body = "".join(f"<section><h2>{name}</h2>{content}</section>" for name, content in sections)
    when = report.generated_at.strftime("%Y-%m-%d %H:%M UTC")
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{title}: campaign report</title><style>{_CSS}</style></head><body>"
        f"<header><h1>{title}</h1><p>{html.escape(report.campaign_id)} · status "
        f"{html.escape(report.status or 'unknown')} · from the {report.source}</p></header>"
        f"<main>{body}</main><footer>korecampaign report · generated {when}</footer></body></html>"
    )
