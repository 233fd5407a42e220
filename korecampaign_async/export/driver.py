"""Driving an export: every page of a record stream into a sink, the checkpoint kept current,
nothing left behind by a run that wrote nothing, a full disk reported in one line.

:func:`export_stream` drives a :class:`~korecampaign_async.paging.stream.RecordStream` into a
sink; :func:`export_to_file` adds the ``.part`` file, the checkpoint and ``resume=True``,
which truncates the ``.part`` to the last fully written page and continues from there: no
row lost or written twice.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import msgspec

from ..errors import ConfigurationError, OutputError
from ..paging.stream import RecordStream
from .checkpoint import Checkpoint
from .sinks import Format, Sink, is_stream_target, open_sink

__all__ = ["ExportResult", "Progress", "export_stream", "export_to_file"]


@dataclass
class Progress:
    """A progress report, sent after each page."""

    rows: int
    total_results: int | None
    pages: int
    total_pages: int | None
    elapsed: float
    resumed_rows: int = 0
    first_page: int = 1


@dataclass
class ExportResult:
    """What an export produced."""

    path: str
    rows: int
    pages: int
    elapsed: float
    resumed_from_page: int = 1
    total_results: int | None = None

    @property
    def rows_per_second(self) -> float:
        """Rows written by this run per second of wall time."""
        return self.rows / self.elapsed if self.elapsed > 0 else 0.0


def _output_error(exc: OSError, sink: Sink) -> BaseException:
    """What a failed write of ``sink`` raises: an :class:`OutputError` naming the file, except
    for a reader that closed standard output (``BrokenPipeError``, which the CLI answers with
    exit 141 and no message)."""
    if isinstance(exc, BrokenPipeError):
        return exc
    advice = (
        ""
        if is_stream_target(sink.path)
        else (
            "the .part output and the checkpoint of the last complete page are kept: fix the cause, then resume "
            "(the same command with --resume)"
        )
    )
    # the file being written when the sink says (the .part, the Parquet parts), else the output
    return OutputError.from_os_error(
        exc, getattr(sink, "part", None) or getattr(sink, "dir", None) or sink.path, advice
    )


async def export_stream(
    stream: RecordStream[Any],
    sink: Sink,
    checkpoint: Checkpoint | None = None,
    *,
    on_progress: Callable[[Progress], None] | None = None,
    checkpoint_every: float = 0.25,
) -> ExportResult:
    """Write every page of ``stream`` to ``sink``, checkpointing as it goes.

    On success the sink is finished (moved into place) and the checkpoint removed. On any
    failure or cancellation the checkpoint is saved at the last fully written page and the
    exception propagates, leaving the ``.part`` output for a resume; a run that wrote no page
    (its first request failed) leaves nothing behind instead, so the same command simply runs
    again. A local file that cannot be written (a full disk) raises
    :class:`~korecampaign_async.errors.OutputError` and keeps the checkpoint saved before the
    page being written: its tail may be in the file, and a resume truncates it away."""

    start = time.perf_counter()
    base_rows = checkpoint.rows if checkpoint else 0
    # an earlier run's pages are in the .part: a failure now must keep them for a resume
    earlier = checkpoint is not None and (checkpoint.next_page > 1 or bool(checkpoint.sink_state))
    rows = base_rows
    pages = 0
    last_save = 0.0
    completed = False
    intact = True  # False while a page is being written: a failure then leaves it half written
    try:
        # `async with`: a failure (a closed pipe, a full disk) stops the stream's requests at once
        async with stream:
            async for page in stream.pages():
                intact = False
                try:
                    sink.write(page.results)
                    rows += len(page.results)
                    pages += 1
                    now = time.perf_counter()
                    if checkpoint is not None and sink.checkpoint_due(now - last_save, checkpoint_every):
                        state = sink.state()
                        checkpoint.next_page, checkpoint.rows, checkpoint.sink_state = stream.next_page, rows, state
                        checkpoint.page_size = stream.page_size
                        checkpoint.save()
                        last_save = now
                except OSError as exc:
                    raise _output_error(exc, sink) from None
                intact = True
                if on_progress is not None:
                    on_progress(
                        Progress(
                            rows,
                            stream.total_results,
                            stream.next_page - 1,
                            stream.total_pages,
                            now - start,
                            base_rows,
                            stream.start_page,
                        )
                    )
        intact = False
        try:
            sink.finish()
        except OSError as exc:
            raise _output_error(exc, sink) from None
        completed = True
    finally:
        if not completed:
            if pages == 0 and not earlier:
                # nothing written, now or before: no .part and no checkpoint to trip the next run
                with contextlib.suppress(OSError):
                    sink.discard()
                if checkpoint is not None:
                    with contextlib.suppress(OSError):
                        checkpoint.remove()
            else:
                if checkpoint is not None and intact:
                    # a full disk may refuse this save too: the checkpoint saved last then stands
                    with contextlib.suppress(OSError):
                        state = sink.state()
                        checkpoint.next_page, checkpoint.rows, checkpoint.sink_state = stream.next_page, rows, state
                        checkpoint.page_size = stream.page_size
                        checkpoint.save()
                # else: the page being written may be partly in the file; the checkpoint saved last
                # (or none: start over) still describes whole pages, and a resume truncates the file
                # back to its offset and fetches that page again
                with contextlib.suppress(OSError):
                    sink.close()
    if checkpoint is not None:
        checkpoint.remove()
    return ExportResult(
        path=sink.path,
        rows=rows,
        pages=pages,
        elapsed=time.perf_counter() - start,
        resumed_from_page=stream.start_page,
        total_results=stream.total_results,
    )


async def export_to_file(
    open_stream: Callable[[int], RecordStream[Any]],
    out: str,
    fmt: Format,
    record_type: type[msgspec.Struct],
    identity: dict[str, Any],
    *,
    resume: bool = False,
    on_progress: Callable[[Progress], None] | None = None,
    on_start: Callable[[RecordStream[Any]], None] | None = None,
) -> ExportResult:
    """Export to ``out`` with a temp file, a checkpoint, and optional resume.

    ``open_stream(start_page)`` builds the record stream. ``out == "-"`` streams to stdout
    without temp file or checkpoint.
    """
    if is_stream_target(out):
        stream = open_stream(1)
        if on_start:
            on_start(stream)
        return await export_stream(stream, open_sink(out, fmt, record_type), None, on_progress=on_progress)
    checkpoint = Checkpoint.for_output(out, {**identity, "format": fmt})
    state: dict[str, Any] | None = None
    if resume and checkpoint.load():
        state = checkpoint.sink_state
    elif os.path.exists(checkpoint.path) and not resume:
        raise ConfigurationError(f"{checkpoint.path} exists from an interrupted run: add --resume to continue it")
    try:
        sink = open_sink(out, fmt, record_type, resume_state=state)
    except OSError as exc:  # before any request: an unwritable directory, a full disk
        raise OutputError.from_os_error(exc, out + ".part") from None
    stream = open_stream(checkpoint.next_page)
    if state is not None and checkpoint.page_size is not None:
        stream.use_page_size(checkpoint.page_size)  # page numbers count pages of the size it began with
    if on_start:
        on_start(stream)
    return await export_stream(stream, sink, checkpoint, on_progress=on_progress)
