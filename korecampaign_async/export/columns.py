"""Flat, typed columns from a record type: the CSV header, the CSV cell encoding, and the
rows of any tabular output.

:func:`columns_for` derives a stable column list from a msgspec ``Struct`` type (nested
structs dotted: ``dialingStrategy.callerId.phoneNumber``), so a header never depends on which
fields the first record happened to carry. :func:`csv_row_function` compiles one row
function per record type (the CSV sink's hot path).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

import msgspec

__all__ = ["Column", "Kind", "columns_for", "csv_row_function", "flatten"]

Kind = Literal["str", "int", "float", "bool", "datetime", "list", "json"]


@dataclass(frozen=True)
class Column:
    """One flat output column: its dotted ``name``, the key ``path`` in the encoded record,
    and its value ``kind``."""

    name: str
    path: tuple[str, ...]
    kind: Kind
    attrs: tuple[str, ...] = ()


def _leaf_kind(t: msgspec.inspect.Type) -> Kind | None:
    if isinstance(t, msgspec.inspect.StrType):
        return "str"
    if isinstance(t, msgspec.inspect.BoolType):
        return "bool"
    if isinstance(t, msgspec.inspect.IntType):
        return "int"
    if isinstance(t, msgspec.inspect.FloatType):
        return "float"
    if isinstance(t, msgspec.inspect.DateTimeType):
        return "datetime"
    if isinstance(t, msgspec.inspect.ListType) and _leaf_kind(t.item_type) in ("str", "int", "float"):
        return "list"
    return None


def _columns(t: msgspec.inspect.StructType, prefix: tuple[str, ...], attr_prefix: tuple[str, ...]) -> list[Column]:
    out: list[Column] = []
    for f in t.fields:
        if f.encode_name in ("_id", "campId"):  # folded into "id" by the models
            continue
        path = (*prefix, f.encode_name)
        attrs = (*attr_prefix, f.name)
        ftype = f.type
        if isinstance(ftype, msgspec.inspect.UnionType):
            members = [m for m in ftype.types if not isinstance(m, msgspec.inspect.NoneType)]
            if len(members) == 1:
                ftype = members[0]
            elif any(isinstance(m, msgspec.inspect.StrType) for m in members) and all(
                _leaf_kind(m) in ("str", "int", "float") for m in members
            ):
                out.append(Column(".".join(path), path, "str", attrs))
                continue
            else:
                out.append(Column(".".join(path), path, "json", attrs))
                continue
        if isinstance(ftype, msgspec.inspect.StructType):
            out.extend(_columns(ftype, path, attrs))
            continue
        out.append(Column(".".join(path), path, _leaf_kind(ftype) or "json", attrs))
    return out


def columns_for(record_type: type[msgspec.Struct]) -> list[Column]:
    """Flat, typed columns of ``record_type`` in declaration order."""
    info = msgspec.inspect.type_info(record_type)
    assert isinstance(info, msgspec.inspect.StructType)
    return _columns(info, (), ())


def _get(record: Any, attrs: tuple[str, ...]) -> Any:
    for name in attrs:
        if record is None:
            return None
        record = getattr(record, name)
    return record


def flatten(records: Iterable[msgspec.Struct], columns: Sequence[Column]) -> list[list[Any]]:
    """Rows of Python values, one per record, in column order (``None`` for absent).

    Values are read from the struct attributes, so defaults (``""``, ``0``, ``[]``) are kept
    even where the JSON encoding would omit them."""
    paths = [c.attrs for c in columns]
    return [[_get(record, attrs) for attrs in paths] for record in records]


def _csv_cell(value: Any, kind: Kind) -> str:
    if value is None:
        return ""
    if kind == "list":
        return "|".join(str(v) for v in value)
    if kind == "bool":
        return "true" if value else "false"
    if kind == "datetime":
        return value.isoformat().replace("+00:00", "Z") if isinstance(value, datetime) else str(value)
    if kind == "json":
        return msgspec.json.encode(value).decode()
    return str(value)


_CSV_CELL: dict[Kind, str] = {  # _csv_cell's rules as expressions over a non-None `v`
    "str": "v",  # csv writes str() of ints and floats itself, None as ""
    "int": "v",
    "float": "v",
    "bool": "('true' if v else 'false')",
    "list": "'|'.join(map(str, v))",
    "datetime": "(v.isoformat().replace('+00:00', 'Z') if isinstance(v, datetime) else str(v))",
    "json": "_encode(v).decode()",
}


def csv_row_function(columns: Sequence[Column], *, line: bool = False) -> Callable[[Any], Any]:
    """One compiled function turning a record into its CSV cells (what :func:`_csv_cell`
    gives for each of :func:`flatten`'s values, which the tests check), or with
    ``line=True`` into the cells joined by commas, unquoted (for pages that need no quoting).

    Generated once per record type, as dataclasses and attrs generate ``__init__``: one
    call per row with the attribute reads and conversions inline runs about three times
    faster than a call per cell, and the CSV export is bound by exactly that."""
    lines = ["def row(r):"]
    cells = []
    for i, column in enumerate(columns):
        # nested attributes: None anywhere on the path gives an empty cell
        lines.append(f"    v = r.{column.attrs[0]}")
        for name in column.attrs[1:]:
            lines.append(f"    v = None if v is None else v.{name}")
        lines.append(f"    c{i} = '' if v is None else {_CSV_CELL[column.kind]}")
        cells.append(f"c{i}")
    if line:
        lines.append("    return f'" + ",".join("{" + c + "}" for c in cells) + "'")
    else:
        lines.append(f"    return ({', '.join(cells)}{',' if len(cells) == 1 else ''})")
    namespace: dict[str, Any] = {"datetime": datetime, "_encode": msgspec.json.encode}
    exec(compile("\n".join(lines), "<korecampaign csv row>", "exec"), namespace)
    function: Callable[[Any], Any] = namespace["row"]
    return function
