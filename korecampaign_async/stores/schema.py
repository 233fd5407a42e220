"""The sync schema, version :data:`SCHEMA_VERSION`: tables, keys and the columns taken
from the API (snake_case of its field names). Every table carries ``stream_id`` so one
database holds many bots. Timestamps are ISO-8601 UTC text (SQLite has no timestamp type;
they sort and compare correctly as text).

``campaign_contacts`` is keyed by ``(stream_id, campaign_id, phone_number, ordinal)``: the
API gives contact-status rows no id, a number can be dialled more than once in one
campaign, and ``uniqueId`` is documented as optional (the samples send ``""``). ``ordinal``
counts a number's earlier appearances in the campaign, in API order (0 for the first), so
duplicate numbers stay distinct rows and a re-sync maps each one back to itself.

``page_digests`` keeps a digest of each page as last written (its rows and their ordinals),
committed with the rows: a re-sync that meets the same page again skips it without a query.

Rows are never deleted: a row a complete pass no longer sees gets ``gone_at`` (cleared
again if it comes back). ``last_seen_at`` is the last time the row itself was written
(inserted, changed, or back from gone): an unchanged row costs no write on a re-sync,
and ``campaign_sync_state.synced_at`` says when every row not gone was last confirmed.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import msgspec

from ..models.records import CampaignContact

__all__ = [
    "CONTACT_COLUMNS",
    "CONTACT_FIELDS",
    "PAYLOAD_FIELDS",
    "contacts_payload",
    "contact_values",
    "OUTCOME_FIELDS",
    "POSTGRES_DDL",
    "SCHEMA_VERSION",
    "SQLITE_DDL",
]

SCHEMA_VERSION = 2

#: Contact-status fields stored as columns, in API order (``agent_disposition_codes`` as JSON).
CONTACT_FIELDS = (
    "unique_id",
    "dialer_outcome",
    "number_of_attempts_so_far",
    "bot_session_id",
    "agent_disposition_codes",
    "bot_outbound_status",
    "bot_outbound_status_detail",
)
#: The columns of a write payload: ``[ordinal, *CampaignContact fields in declaration order]``.
PAYLOAD_FIELDS = ("ordinal", *(f.name for f in msgspec.structs.fields(CampaignContact)))


def contacts_payload(rows: Sequence[tuple[int, CampaignContact]]) -> bytes:
    """Rows of a write batch as one JSON array the database engine can load itself (PostgreSQL's
    ``jsonb_array_elements``): each ``[ordinal, phoneNumber, uniqueId, ...]``
    (:data:`PAYLOAD_FIELDS`), the disposition codes as a JSON array. Arrays, not objects: the
    server parses a third less (measured in docs/api-notes.md)."""
    astuple = msgspec.structs.astuple
    return _encode([(ordinal, *astuple(row)) for ordinal, row in rows])


#: The fields whose changes ``contact_status_changes`` records (all of them: each is an outcome).
OUTCOME_FIELDS = CONTACT_FIELDS
_encode = msgspec.json.Encoder().encode


def contact_values(row: CampaignContact) -> tuple[Any, ...]:
    """A contact-status row's :data:`CONTACT_FIELDS` values, as both stores keep them (the
    disposition codes as JSON text)."""
    return (
        row.unique_id,
        row.dialer_outcome,
        row.number_of_attempts_so_far,
        row.bot_session_id,
        _encode(row.agent_disposition_codes).decode(),
        row.bot_outbound_status,
        row.bot_outbound_status_detail,
    )


#: Every column of ``campaign_contacts`` a new row is written with (``gone_at`` starts NULL).
CONTACT_COLUMNS = (
    "stream_id",
    "campaign_id",
    "phone_number",
    "ordinal",
    *CONTACT_FIELDS,
    "first_seen_at",
    "last_seen_at",
    "last_changed_at",
)

SQLITE_DDL = """
CREATE TABLE IF NOT EXISTS schema_version (
    version INTEGER NOT NULL,
    applied_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS campaigns (
    stream_id TEXT NOT NULL,
    campaign_id TEXT NOT NULL,
    type TEXT NOT NULL,
    name TEXT,
    description TEXT,
    status TEXT,
    priority TEXT,
    dialing_mode TEXT,
    format TEXT,
    experience_flow TEXT,
    created_at TEXT,
    updated_at TEXT,
    campaign_instance_updated_at TEXT,
    contact_lists TEXT,
    raw TEXT NOT NULL,
    first_seen_at TEXT NOT NULL,
    last_changed_at TEXT NOT NULL,
    PRIMARY KEY (stream_id, campaign_id)
);
CREATE TABLE IF NOT EXISTS campaign_contacts (
    stream_id TEXT NOT NULL,
    campaign_id TEXT NOT NULL,
    phone_number TEXT NOT NULL,
    ordinal INTEGER NOT NULL,
    unique_id TEXT,
    dialer_outcome TEXT,
    number_of_attempts_so_far INTEGER,
    bot_session_id TEXT,
    agent_disposition_codes TEXT,
    bot_outbound_status TEXT,
    bot_outbound_status_detail TEXT,
    first_seen_at TEXT NOT NULL,
    last_seen_at TEXT NOT NULL,
    last_changed_at TEXT NOT NULL,
    gone_at TEXT,
    PRIMARY KEY (stream_id, campaign_id, phone_number, ordinal)
);
CREATE TABLE IF NOT EXISTS contact_status_changes (
    change_id INTEGER PRIMARY KEY AUTOINCREMENT,
    stream_id TEXT NOT NULL,
    campaign_id TEXT NOT NULL,
    phone_number TEXT NOT NULL,
    ordinal INTEGER NOT NULL,
    changed_fields TEXT NOT NULL,
    before TEXT NOT NULL,
    after TEXT NOT NULL,
    dialer_outcome_before TEXT,
    dialer_outcome_after TEXT,
    observed_at TEXT NOT NULL,
    run_id INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS contact_status_changes_by_campaign
    ON contact_status_changes (stream_id, campaign_id, observed_at);
CREATE TABLE IF NOT EXISTS contact_list_contacts (
    stream_id TEXT NOT NULL,
    list_id TEXT NOT NULL,
    contact_id TEXT NOT NULL,
    phone_number TEXT,
    created_at TEXT,
    updated_at TEXT,
    first_seen_at TEXT NOT NULL,
    last_seen_at TEXT NOT NULL,
    last_changed_at TEXT NOT NULL,
    gone_at TEXT,
    PRIMARY KEY (stream_id, list_id, contact_id)
);
CREATE TABLE IF NOT EXISTS page_digests (
    stream_id TEXT NOT NULL,
    campaign_id TEXT NOT NULL,
    page INTEGER NOT NULL,
    digest BLOB NOT NULL,
    PRIMARY KEY (stream_id, campaign_id, page)
);
CREATE TABLE IF NOT EXISTS pass_fingerprints (
    stream_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    object_id TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    passed_at TEXT NOT NULL,
    PRIMARY KEY (stream_id, kind, object_id)
);
CREATE TABLE IF NOT EXISTS campaign_sync_state (
    stream_id TEXT NOT NULL,
    campaign_id TEXT NOT NULL,
    status TEXT,
    complete INTEGER NOT NULL,
    rows INTEGER NOT NULL,
    synced_at TEXT,
    run_id INTEGER,
    PRIMARY KEY (stream_id, campaign_id)
);
CREATE TABLE IF NOT EXISTS sync_runs (
    run_id INTEGER PRIMARY KEY AUTOINCREMENT,
    stream_id TEXT NOT NULL,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    status TEXT NOT NULL,
    campaigns_seen INTEGER NOT NULL DEFAULT 0,
    campaigns_changed INTEGER NOT NULL DEFAULT 0,
    campaigns_skipped INTEGER NOT NULL DEFAULT 0,
    contacts_inserted INTEGER NOT NULL DEFAULT 0,
    contacts_updated INTEGER NOT NULL DEFAULT 0,
    contacts_unchanged INTEGER NOT NULL DEFAULT 0,
    contacts_gone INTEGER NOT NULL DEFAULT 0,
    list_contacts_inserted INTEGER NOT NULL DEFAULT 0,
    list_contacts_updated INTEGER NOT NULL DEFAULT 0,
    list_contacts_unchanged INTEGER NOT NULL DEFAULT 0,
    list_contacts_gone INTEGER NOT NULL DEFAULT 0,
    requests INTEGER NOT NULL DEFAULT 0,
    requests_saved INTEGER NOT NULL DEFAULT 0,
    throttled INTEGER NOT NULL DEFAULT 0,
    error TEXT
);
"""

#: The same tables for PostgreSQL, with its types: ``timestamptz`` for times, ``jsonb`` for
#: JSON, identity columns for ids.
POSTGRES_DDL = """
CREATE TABLE IF NOT EXISTS schema_version (
    version integer NOT NULL,
    applied_at timestamptz NOT NULL
);
CREATE TABLE IF NOT EXISTS campaigns (
    stream_id text NOT NULL,
    campaign_id text NOT NULL,
    type text NOT NULL,
    name text,
    description text,
    status text,
    priority text,
    dialing_mode text,
    format text,
    experience_flow text,
    created_at timestamptz,
    updated_at timestamptz,
    campaign_instance_updated_at timestamptz,
    contact_lists jsonb,
    raw jsonb NOT NULL,
    first_seen_at timestamptz NOT NULL,
    last_changed_at timestamptz NOT NULL,
    PRIMARY KEY (stream_id, campaign_id)
);
CREATE TABLE IF NOT EXISTS campaign_contacts (
    stream_id text NOT NULL,
    campaign_id text NOT NULL,
    phone_number text NOT NULL,
    ordinal integer NOT NULL,
    unique_id text,
    dialer_outcome text,
    number_of_attempts_so_far integer,
    bot_session_id text,
    agent_disposition_codes jsonb,
    bot_outbound_status text,
    bot_outbound_status_detail text,
    first_seen_at timestamptz NOT NULL,
    last_seen_at timestamptz NOT NULL,
    last_changed_at timestamptz NOT NULL,
    gone_at timestamptz,
    PRIMARY KEY (stream_id, campaign_id, phone_number, ordinal)
);
CREATE TABLE IF NOT EXISTS contact_status_changes (
    change_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    stream_id text NOT NULL,
    campaign_id text NOT NULL,
    phone_number text NOT NULL,
    ordinal integer NOT NULL,
    changed_fields text NOT NULL,
    before jsonb NOT NULL,
    after jsonb NOT NULL,
    dialer_outcome_before text,
    dialer_outcome_after text,
    observed_at timestamptz NOT NULL,
    run_id bigint NOT NULL
);
CREATE INDEX IF NOT EXISTS contact_status_changes_by_campaign
    ON contact_status_changes (stream_id, campaign_id, observed_at);
CREATE TABLE IF NOT EXISTS contact_list_contacts (
    stream_id text NOT NULL,
    list_id text NOT NULL,
    contact_id text NOT NULL,
    phone_number text,
    created_at timestamptz,
    updated_at timestamptz,
    first_seen_at timestamptz NOT NULL,
    last_seen_at timestamptz NOT NULL,
    last_changed_at timestamptz NOT NULL,
    gone_at timestamptz,
    PRIMARY KEY (stream_id, list_id, contact_id)
);
CREATE TABLE IF NOT EXISTS page_digests (
    stream_id text NOT NULL,
    campaign_id text NOT NULL,
    page integer NOT NULL,
    digest bytea NOT NULL,
    PRIMARY KEY (stream_id, campaign_id, page)
);
CREATE TABLE IF NOT EXISTS pass_fingerprints (
    stream_id text NOT NULL,
    kind text NOT NULL,
    object_id text NOT NULL,
    fingerprint text NOT NULL,
    passed_at timestamptz NOT NULL,
    PRIMARY KEY (stream_id, kind, object_id)
);
CREATE TABLE IF NOT EXISTS campaign_sync_state (
    stream_id text NOT NULL,
    campaign_id text NOT NULL,
    status text,
    complete boolean NOT NULL,
    rows integer NOT NULL,
    synced_at timestamptz,
    run_id bigint,
    PRIMARY KEY (stream_id, campaign_id)
);
CREATE TABLE IF NOT EXISTS sync_runs (
    run_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    stream_id text NOT NULL,
    started_at timestamptz NOT NULL,
    finished_at timestamptz,
    status text NOT NULL,
    campaigns_seen integer NOT NULL DEFAULT 0,
    campaigns_changed integer NOT NULL DEFAULT 0,
    campaigns_skipped integer NOT NULL DEFAULT 0,
    contacts_inserted integer NOT NULL DEFAULT 0,
    contacts_updated integer NOT NULL DEFAULT 0,
    contacts_unchanged integer NOT NULL DEFAULT 0,
    contacts_gone integer NOT NULL DEFAULT 0,
    list_contacts_inserted integer NOT NULL DEFAULT 0,
    list_contacts_updated integer NOT NULL DEFAULT 0,
    list_contacts_unchanged integer NOT NULL DEFAULT 0,
    list_contacts_gone integer NOT NULL DEFAULT 0,
    requests integer NOT NULL DEFAULT 0,
    requests_saved integer NOT NULL DEFAULT 0,
    throttled integer NOT NULL DEFAULT 0,
    error text
);
"""
