"""``python -m korecampaign_async.emulator``."""

from .server import main

raise SystemExit(main())
