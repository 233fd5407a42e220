"""Where an export stands, stored atomically beside its output: the next page, the rows
written, the sink's state, and the identity of the export it belongs to."""

from __future__ import annotations

import contextlib
import json
import os
import time
from dataclasses import dataclass, field
from typing import Any

from .._files import write_json_atomically
from ..errors import ConfigurationError

__all__ = ["CHECKPOINT_VERSION", "Checkpoint"]

CHECKPOINT_VERSION = 1


@dataclass
class Checkpoint:
    """Where an export stands, stored atomically as JSON beside the output.

    ``identity`` names the export (endpoint, resource id, query, page size, format): a
    resume with a different identity is refused rather than mixing two exports.
    """

    path: str
    identity: dict[str, Any]
    next_page: int = 1
    rows: int = 0
    sink_state: dict[str, Any] = field(default_factory=dict)
    #: rows per page of the export so far: its page numbers count pages of this size, so a
    #: resume reads pages of exactly this size (``RecordStream.use_page_size``)
    page_size: int | None = None

    @classmethod
    def for_output(cls, out: str, identity: dict[str, Any]) -> Checkpoint:
        """The checkpoint of output file ``out``."""
        return cls(out + ".checkpoint.json", identity)

    def load(self) -> bool:
        """Read a saved checkpoint; False when there is none. Raises on a mismatch."""
        if not os.path.exists(self.path):
            return False
        with open(self.path, "rb") as fh:
            doc = json.load(fh)
        stored = dict(doc.get("identity") or {})
        legacy_size = stored.pop("page_size", None)  # kept in the identity before 0.2
        mine = {k: v for k, v in self.identity.items() if k != "page_size"}
        if doc.get("version") != CHECKPOINT_VERSION or stored != mine:
            raise ConfigurationError(
                f"{self.path} belongs to a different export ({doc.get('identity')}); "
                "delete it or run the same command to resume"
            )
        self.next_page = int(doc["next_page"])
        self.rows = int(doc["rows"])
        self.sink_state = dict(doc["sink_state"])
        size = doc.get("page_size", legacy_size)
        self.page_size = size if isinstance(size, int) else None
        return True

    def save(self) -> None:
        """Write atomically (temp file + rename)."""
        doc = {
            "version": CHECKPOINT_VERSION,
            "identity": self.identity,
            "next_page": self.next_page,
            "rows": self.rows,
            "sink_state": self.sink_state,
            "page_size": self.page_size,
            "saved_at": time.time(),
        }
        write_json_atomically(self.path, doc)

    def remove(self) -> None:
        """Delete after a successful export (with a temp file a failed save may have left)."""
        for path in (self.path, self.path + ".tmp"):
            with contextlib.suppress(FileNotFoundError):
                os.remove(path)
