"""Where an export's pages go: line sinks (JSON Lines, CSV) writing whole pages to
``FILE.part``, renamed over ``FILE`` only on success, and :func:`open_sink` for any format
(Parquet: :mod:`.parquet`).

A sink reports a *state* after each page (a byte offset) that the checkpoint stores; a
resume truncates the ``.part`` back to it. Standard output and special files (``/dev/null``,
a FIFO) are written in place, never through a ``.part``, and keep no checkpoint.
"""

from __future__ import annotations

import contextlib
import csv
import io
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import IO, Any, Literal, Protocol

import msgspec

from ..errors import ConfigurationError, InvalidParameterError
from .columns import columns_for, csv_row_function
from .parquet import ParquetSink

__all__ = ["FORMATS", "CsvSink", "Format", "JsonlSink", "Sink", "infer_format", "is_stream_target", "open_sink"]

Format = Literal["jsonl", "csv", "parquet"]
FORMATS: tuple[Format, ...] = ("jsonl", "csv", "parquet")
_EXTENSIONS: dict[str, Format] = {
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "jsonl",
    ".csv": "csv",
    ".parquet": "parquet",
}
_json_lines = msgspec.json.Encoder()


def infer_format(path: str, explicit: str | None = None) -> Format:
    """The output format: ``explicit`` if given, else from the file extension (``-`` = jsonl)."""
    if explicit:
        if explicit not in FORMATS:
            raise InvalidParameterError("--format", explicit, "one of " + ", ".join(FORMATS))
        if explicit == "parquet" and is_stream_target(path):
            raise InvalidParameterError("--out", path, "a regular file path (parquet cannot stream)")
        return explicit
    if is_stream_target(path):
        return "jsonl"
    fmt = _EXTENSIONS.get(Path(path).suffix.lower())
    if fmt is None:
        raise InvalidParameterError(
            "--format", None, f"jsonl, csv or parquet (cannot infer from {path!r}; use .jsonl/.csv/.parquet)"
        )
    return fmt


class Sink(Protocol):
    """Where pages go. ``state()`` describes what is durably written after the last page."""

    path: str

    def write(self, records: Sequence[msgspec.Struct]) -> None:
        """Append one page of records."""
        ...

    def state(self) -> dict[str, Any]:
        """Flush and describe the output up to the last written page (for the checkpoint)."""
        ...

    def checkpoint_due(self, since_save: float, every: float) -> bool:
        """Whether to save the checkpoint now, ``since_save`` seconds after the last save
        (``every`` is the export's cadence). Line sinks follow the cadence; the Parquet sink
        answers only when a part file has just been finished (making one durable costs a
        Parquet footer, so it is not done every quarter second)."""
        ...

    def finish(self) -> None:
        """Complete the output: move it into place."""
        ...

    def close(self) -> None:
        """Release file handles without completing (the ``.part`` stays for a resume)."""
        ...

    def discard(self) -> None:
        """Release file handles and remove what this sink created (a run that wrote no page
        leaves nothing behind: no ``.part``, no checkpoint)."""
        ...


def is_stream_target(path: str) -> bool:
    """``-`` (stdout) or an existing file that is not a regular file (``/dev/null``, a FIFO,
    a terminal): written directly, never through a ``.part`` file renamed over it (which
    would replace a device with a regular file) and never checkpointed."""
    return path == "-" or (os.path.exists(path) and not os.path.isfile(path))


class _ByteSink:
    """Shared logic of the line-oriented sinks: a ``.part`` file written in whole pages
    (or, for stdout and special files, the target itself)."""

    path: str

    def __init__(self, path: str, *, resume_state: dict[str, Any] | None = None) -> None:
        self.path = path
        self._stdout = is_stream_target(path)
        if self._stdout:
            self._fh: IO[bytes] = sys.stdout.buffer if path == "-" else open(path, "wb")  # noqa: SIM115
            self._start()  # standard output gets the same header as a file
            return
        self.part = path + ".part"
        Path(self.part).parent.mkdir(parents=True, exist_ok=True)
        if resume_state is not None:
            offset = int(resume_state["bytes"])
            if not os.path.exists(self.part) or os.path.getsize(self.part) < offset:
                raise ConfigurationError(f"cannot resume: {self.part} is missing or shorter than the checkpoint says")
            self._fh = open(self.part, "r+b")  # noqa: SIM115 - closed by finish()/close()
            self._fh.truncate(offset)
            self._fh.seek(offset)
        else:
            self._fh = open(self.part, "wb")  # noqa: SIM115
            self._start()

    def _start(self) -> None:
        """Write a header (CSV) when a new file starts."""

    def state(self) -> dict[str, Any]:
        self._fh.flush()
        return {"bytes": self._fh.tell() if not self._stdout else 0}

    def checkpoint_due(self, since_save: float, every: float) -> bool:
        return since_save >= every

    def finish(self) -> None:
        self._fh.flush()
        if self._stdout:
            if self.path != "-":
                self._fh.close()
            return
        os.fsync(self._fh.fileno())
        self._fh.close()
        os.replace(self.part, self.path)

    def close(self) -> None:
        if self.path != "-" and not self._fh.closed:
            try:
                self._fh.flush()
            finally:
                self._fh.close()

    def discard(self) -> None:
        try:
            self.close()
        finally:
            if not self._stdout:
                with contextlib.suppress(FileNotFoundError):
                    os.remove(self.part)


class JsonlSink(_ByteSink):
    """JSON Lines, encoded by msgspec straight from the structs (one record per line)."""

    def __init__(self, path: str, record_type: type[msgspec.Struct], *, resume_state: dict[str, Any] | None = None):
        super().__init__(path, resume_state=resume_state)

    def write(self, records: Sequence[msgspec.Struct]) -> None:
        self._fh.write(_json_lines.encode_lines(records))


class CsvSink(_ByteSink):
    """CSV with a stable header from the record type: nested objects dotted, lists of
    scalars joined with ``|``, other lists as compact JSON, booleans ``true``/``false``."""

    def __init__(self, path: str, record_type: type[msgspec.Struct], *, resume_state: dict[str, Any] | None = None):
        self.columns = columns_for(record_type)
        self._row = csv_row_function(self.columns)
        self._line = csv_row_function(self.columns, line=True)
        super().__init__(path, resume_state=resume_state)

    def _start(self) -> None:
        self._emit([[c.name for c in self.columns]])

    def _emit(self, rows: list[list[str]]) -> None:
        buf = io.StringIO()
        csv.writer(buf, lineterminator="\n").writerows(rows)
        self._fh.write(buf.getvalue().encode())

    def write(self, records: Sequence[msgspec.Struct]) -> None:
        if not records:
            return
        # Fast path: each row as one f-string, the page checked as a whole: with no quote,
        # no carriage return and exactly the expected commas and newlines, no cell needs
        # quoting and the text is what csv.writer would write (tests compare the two).
        text = "\n".join(map(self._line, records))
        rows = len(records)
        if (
            '"' not in text
            and "\r" not in text
            and text.count("\n") == rows - 1
            and text.count(",") == rows * (len(self.columns) - 1)
        ):
            self._fh.write(text.encode() + b"\n")
        else:
            self._emit(list(map(self._row, records)))


def open_sink(
    path: str, fmt: Format, record_type: type[msgspec.Struct], *, resume_state: dict[str, Any] | None = None
) -> Sink:
    """The sink for ``fmt`` writing ``path`` (optionally resuming from a checkpoint state)."""
    if fmt == "jsonl":
        return JsonlSink(path, record_type, resume_state=resume_state)
    if fmt == "csv":
        return CsvSink(path, record_type, resume_state=resume_state)
    return ParquetSink(path, record_type, resume_state=resume_state)
