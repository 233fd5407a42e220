"""Build-time pages (mkdocs-gen-files): the API reference from ``korecampaign_async.__all__``
and the CLI reference from the argparse parser. Generated on every build, so neither can
drift from the code; nothing here is written into the repository."""

from __future__ import annotations

import os

import mkdocs_gen_files

os.environ["COLUMNS"] = "100"  # argparse wraps help to the terminal width: fix it for the page

import korecampaign_async
from korecampaign_async.cli import help_pages

GROUPS = {
    "Client": ["KoreCampaignClient", "RecordStream", "ClientStats", "RetryPolicy"],
    "Authentication": ["JWTAuth", "StaticTokenAuth", "AuthProvider"],
    "Records": ["Campaign", "CampaignContact", "Contact", "CampaignFilters", "Page"],
    "Rate budgets": ["RateLimit", "RateLimiter", "RedisRateLimit"],
    "Sync to a database": ["sync", "SyncReport", "FINAL_STATUSES", "Store", "open_store"],
    "Manage campaigns": [
        "Campaigns",
        "VoiceCampaignSpec",
        "SmsCampaignSpec",
        "DialingStrategy",
        "CallerId",
        "CallingHours",
        "CallingDay",
        "DncList",
        "SmsMessage",
        "Schedule",
        "ScheduleSpec",
        "Recurrence",
        "DailyRecurrence",
        "WeeklyRecurrence",
        "CallBack",
        "CallBackResult",
        "CampaignState",
        "TriggerResult",
        "WriteResult",
    ],
    "Contact lists and import": [
        "ContactLists",
        "ContactList",
        "ContactListSpec",
        "ContactListUpdate",
        "ImportReport",
        "RowProblem",
    ],
    "Instrumentation": ["Hooks", "RequestEvent", "ResponseEvent", "RetryEvent", "PageEvent"],
}

public = [name for name in korecampaign_async.__all__ if name != "__version__"]
grouped = {name for names in GROUPS.values() for name in names}
GROUPS["Errors"] = sorted(n for n in public if n not in grouped and n.endswith("Error"))
GROUPS["Other"] = sorted(n for n in public if n not in grouped and n not in GROUPS["Errors"])
missing = set(public) - {n for names in GROUPS.values() for n in names}
assert not missing, missing  # every public name is on the page

with mkdocs_gen_files.open("reference.md", "w") as page:
    page.write("# API reference\n\n")
    page.write(
        "Every public name of `korecampaign_async` (its `__all__`), rendered from the docstrings and "
        f"signatures at build time. Version {korecampaign_async.__version__}.\n\n"
    )
    for group, names in GROUPS.items():
        if not names:
            continue
        page.write(f"## {group}\n\n")
        for name in names:
            page.write(f"::: korecampaign_async.{name}\n    options:\n      heading_level: 3\n\n")

with mkdocs_gen_files.open("cli.md", "w") as page:
    page.write("# CLI reference\n\n")
    page.write(
        "Generated at build time from the argparse parser (`korecampaign_async.cli.help_pages`): each block "
        "is exactly what `COMMAND --help` prints at 100 columns.\n\n"
    )
    for command, text in help_pages():
        page.write(f"## `{command}`\n\n```text\n{text.rstrip()}\n```\n\n")
