"""Endpoints grouped by resource: ``client.campaigns`` and ``client.contact_lists``.

One module per resource, over the client's one :class:`~korecampaign_async.transport.Transport`
(same session, retries, rate budget and statistics as the reads). The four read methods
of :class:`~korecampaign_async.KoreCampaignClient` keep their names; the resources add
the rest of the Campaign Management API v2.

Writes are never doubled: a create, a start or an import batch is retried only after a
failure that proves it had no effect (429, 503, connection refused); after any other
failure the resource looks at the server's state (the campaign by name, its status, the
list's contents) and continues from there, or raises
:class:`~korecampaign_async.errors.OutcomeUnknownError` saying what is not known.
"""

from __future__ import annotations

from .campaigns import Campaigns
from .contact_lists import ContactLists, ImportReport, RowProblem

__all__ = ["Campaigns", "ContactLists", "ImportReport", "RowProblem"]
