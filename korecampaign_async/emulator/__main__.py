"""``python -m korecampaign_async.emulator``."""

from .cli import main

raise SystemExit(main())
