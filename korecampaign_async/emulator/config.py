"""What the emulator serves and how it misbehaves: :class:`EmulatorConfig`, and the
readings of the docs it can take (:data:`PagingMode`, :data:`EchoMode`). Shared by every
part of the emulator (server, routes, state, faults), so it lives below all of them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from ..transport.flavour import ApiName, Edition

__all__ = ["PAGING_MODES", "EchoMode", "EmulatorConfig", "PagingMode"]


#: How the server maps ``page`` and ``skip`` to an offset when a request sends both (the
#: docs do not say): ``page`` wins (skip ignored), ``skip-wins`` (page used only without
#: skip), ``skip`` only (page ignored), ``additive`` (skip counts from the page's start), or
#: ``none`` (both ignored: always the first page; a broken server, for tests).
PagingMode = Literal["page", "skip-wins", "skip", "additive", "none"]
PAGING_MODES: tuple[PagingMode, ...] = ("page", "skip-wins", "skip", "additive", "none")
#: What the list endpoints echo as ``skip`` (and the status endpoint as ``page``): the offset
#: actually used, the value the request sent, or nothing.
EchoMode = Literal["effective", "request", "none"]


@dataclass
class EmulatorConfig:
    """What the emulator serves and how it misbehaves.

    Data: ``campaigns`` campaigns (even index voice, odd index SMS), each voice campaign with
    ``contacts`` contact-status rows (``contact_counts`` overrides per campaign id), and
    ``contact_lists`` lists of ``list_contacts`` contacts each.
    Faults: each ``fault_*`` is the probability that a request gets that fault.
    ``rate_limit`` is a window spec such as ``"600/60s,18000/1h"``, counted per stream
    (``rate_limit_key="stream"``) or per account.
    Timing: every answer is sent ``latency_ms`` (plus ``0..jitter_ms``) after its request
    arrived, the emulator's own work included.
    Writes (:mod:`korecampaign_async.emulator.state`): a started campaign dials its contacts
    over ``run_seconds``; a created one is ``Preparing`` for ``prepare_seconds``; added
    contacts appear ``import_delay`` seconds after the call; ``state_file`` persists the
    state; the ``slow-after-write`` fault holds an applied write's answer ``slow_seconds``;
    ``lists_method`` is what ``getAllListDetails`` accepts (the page says POST, its curl GETs),
    ``lists_paging`` how it pages: ``all`` lists at once (the sample), ``totals`` (pages of
    ``lists_page_size`` with ``totalPages``), ``has-more`` (only ``hasMore``), or ``ignored``
    (``hasMore`` true but every page the first).
    Page sizes: the contact-status endpoint takes ``limit`` 1..100, as its page documents;
    the others document no maximum: ``max_limit`` is their ceiling and ``limit_policy`` what
    they do with a ``limit`` above it: ``serve`` it anyway (no ceiling), ``cap`` it (serve
    ``max_limit`` rows, totals in that size), or ``reject`` it (400 naming ``limit``).
    ``page_cap`` (0 = none): the server serves at most this many rows per page whatever
    ``limit`` asked (its totals follow its own page size; with ``echo="none"`` it does not
    say so). Readings the docs leave open: ``paging`` (see :data:`PagingMode`), ``echo`` (see
    :data:`EchoMode`), ``overcount`` (``totalResults`` counts this many rows more than are
    served, while ``totalPages`` follows the served rows, as in the contact-status sample),
    ``rate_limit_retry_after`` (send ``Retry-After`` with rate-limit 429s; Kore promises none).
    Flavour: ``api`` ``"contact-center"`` serves the agentassist pages instead of v2, addressed
    and shaped as ``edition`` says (:mod:`korecampaign_async.emulator.flavour`); ``iid`` is then
    the application id in the path of the ``iid`` edition.
    """

    stream_id: str = "st-emulator-0001"
    account_id: str = "acc-emulator-0001"
    iid: str | None = None
    client_id: str = "cs-emulator-client"
    client_secret: str = "emulator-only-secret-not-a-real-credential"
    campaigns: int = 20
    contacts: int = 1_000
    contact_counts: dict[str, int] = field(default_factory=dict)
    contact_lists: int = 5
    list_contacts: int = 1_000
    seed: int = 7
    latency_ms: float = 0.0
    jitter_ms: float = 0.0
    fault_429: float = 0.0
    fault_5xx: float = 0.0
    fault_drop: float = 0.0
    fault_malformed: float = 0.0
    retry_after: float = 0.05
    rate_limit: str | None = None
    rate_limit_key: Literal["stream", "account"] = "stream"
    max_limit: int = 1000
    limit_policy: Literal["serve", "cap", "reject"] = "serve"
    page_cache: int = 2048
    paging: PagingMode = "page"
    echo: EchoMode = "effective"
    overcount: int = 0
    rate_limit_retry_after: bool = True
    generation: int = 0
    state_file: str | None = None
    run_seconds: float = 20.0
    prepare_seconds: float = 0.2
    import_delay: float = 0.0
    slow_seconds: float = 3.0
    lists_method: Literal["POST", "GET", "both"] = "both"
    lists_paging: Literal["all", "totals", "has-more", "ignored"] = "all"
    lists_page_size: int = 2
    page_cap: int = 0
    api: ApiName = "v2"  # which documented API: v2, or the Contact Center (agentassist v1) pages
    edition: Edition = "iid"  # of the Contact Center pages: current (iid) or older (stream)

    @property
    def effective_iid(self) -> str:
        """The ``iid`` header value the emulator expects."""
        return self.iid or self.stream_id
