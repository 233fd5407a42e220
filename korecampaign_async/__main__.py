"""``python -m korecampaign_async`` runs the ``korecampaign`` command line."""

from .cli.main import main

raise SystemExit(main())
