"""Child process of the memory scenario: stream one campaign, sample RSS, print JSON.

Each contender runs in a fresh process so that one's heap cannot inflate the other's RSS.
Usage: python -m benchmarks.memprobe URL CAMPAIGN CONTENDER CONCURRENCY
"""

from __future__ import annotations

import asyncio
import gc
import json
import sys
import time

from .contenders import gather_all, korecampaign
from .harness import EmulatorProcess, RssSampler


def main() -> None:
    url, campaign, contender, concurrency = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    emu = EmulatorProcess()
    emu.url = url
    gc.collect()
    with RssSampler(interval=0.05) as sampler:
        start = time.perf_counter()
        if contender == "korecampaign":
            rows, pages = asyncio.run(korecampaign(emu, campaign, concurrency=concurrency))
        else:
            rows, pages = asyncio.run(gather_all(emu, campaign))
        seconds = time.perf_counter() - start
    print(
        json.dumps(
            {
                "contender": contender,
                "rows": rows,
                "pages": pages,
                "seconds": seconds,
                "start_rss": sampler.start_rss,
                "samples": [[round(t, 3), r] for t, r in sampler.samples],
            }
        )
    )


if __name__ == "__main__":
    main()
