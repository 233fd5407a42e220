"""Files: crash-safe, resumable exports of paged records to JSON Lines, CSV or Parquet.

One job per module:

* :mod:`.columns`: flat, typed columns from a record type (the CSV header and cells).
* :mod:`.sinks`: where pages go (``.part`` files, stdout), the format from the file name;
  :mod:`.parquet` for Parquet.
* :mod:`.checkpoint`: where an export stands, saved atomically beside the output.
* :mod:`.driver`: an export run: stream -> sink -> checkpoint, resume, failures.
* :mod:`.many`: many campaigns, one file each, and ``manifest.json``.

``from korecampaign_async.export import export_to_file`` (and the other names below) keeps
working.
"""

from __future__ import annotations

from .checkpoint import Checkpoint
from .columns import Column, columns_for, flatten
from .driver import ExportResult, Progress, export_stream, export_to_file
from .many import ManifestEntry, export_many
from .parquet import ParquetSink
from .sinks import FORMATS, CsvSink, Format, JsonlSink, Sink, infer_format, is_stream_target, open_sink

__all__ = [
    "FORMATS",
    "Checkpoint",
    "Column",
    "CsvSink",
    "ExportResult",
    "Format",
    "JsonlSink",
    "ManifestEntry",
    "ParquetSink",
    "Progress",
    "Sink",
    "columns_for",
    "export_many",
    "export_stream",
    "export_to_file",
    "flatten",
    "infer_format",
    "is_stream_target",
    "open_sink",
]
