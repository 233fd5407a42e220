"""``python -m korecampaign_async`` runs the ``korecampaign`` command line."""

from .cli import main

raise SystemExit(main())
