"""Small files the SDK keeps beside its work (checkpoints, manifests, the emulator's state),
written so that a reader never sees half of one."""

from __future__ import annotations

import contextlib
import json
import os
from typing import Any

__all__ = ["write_json_atomically"]


def write_json_atomically(path: str, doc: Any, *, indent: int | None = None, durable: bool = False) -> None:
    """Write ``doc`` as JSON to ``path.tmp`` and rename it over ``path``: a crash leaves the
    old file or the new one, never a torn one. ``durable`` also fsyncs before the rename, so
    the new file survives a power loss too (the rename alone survives a killed process). A
    failure (a full disk) removes the temp file and leaves ``path`` as it was."""
    tmp = path + ".tmp"
    try:
        with open(tmp, "w") as fh:
            json.dump(doc, fh, indent=indent)
            if durable:
                fh.flush()
                os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        # a full disk, a permission, an interrupt: the old file stays, and no stray temp file
        with contextlib.suppress(OSError):
            os.remove(tmp)
        raise
