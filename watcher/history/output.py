"""History rows as a terminal table, JSON, JSON lines or CSV."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, TextIO

from tabulate import tabulate

# View columns that hold JSON text; JSON output nests them instead of quoting them twice.
JSON_COLUMNS = frozenset({"evidence", "cues", "diff", "sources", "topics", "corrections"})


def decode_json_columns(row: dict[str, Any]) -> dict[str, Any]:
    """The row with its JSON-text columns (:data:`JSON_COLUMNS`) parsed into lists and dicts."""
    return {
        key: json.loads(value) if key in JSON_COLUMNS and isinstance(value, str) else value
        for key, value in row.items()
    }


def write_json(rows: Iterable[dict[str, Any]], out: TextIO) -> int:
    """Write one indented JSON array; return the number of rows."""
    decoded = [decode_json_columns(row) for row in rows]
    json.dump(decoded, out, ensure_ascii=False, indent=2)
    out.write("\n")
    return len(decoded)


def write_jsonl(rows: Iterable[dict[str, Any]], out: TextIO) -> int:
    """Write one JSON object per line, streaming; return the number of rows."""
    count = 0
    for row in rows:
        out.write(json.dumps(decode_json_columns(row), ensure_ascii=False) + "\n")
        count += 1
    return count


def write_csv(rows: Iterable[dict[str, Any]], out: TextIO, columns: Sequence[str]) -> int:
    """Write a header and one line per row, streaming (JSON columns stay JSON text)."""
    writer = csv.DictWriter(out, fieldnames=list(columns), lineterminator="\n")
    writer.writeheader()
    count = 0
    for row in rows:
        writer.writerow(row)
        count += 1
    return count


@dataclass(frozen=True)
class Column:
    """One column of a terminal table."""

    header: str
    value: Callable[[dict[str, Any]], Any]
    width: int | None = None  # wrap longer text at this many characters


def cell(key: str) -> Callable[[dict[str, Any]], Any]:
    """A column value that is simply the row's ``key``."""
    return lambda row: row.get(key)


def date_cell(key: str) -> Callable[[dict[str, Any]], Any]:
    """A column value showing only the date of an ISO timestamp."""
    return lambda row: (row.get(key) or "")[:10]


def render_table(rows: Sequence[dict[str, Any]], columns: Sequence[Column]) -> str:
    """A plain-text table for a terminal; long text wraps inside its column."""
    return tabulate(
        [[column.value(row) for column in columns] for row in rows],
        headers=[column.header for column in columns],
        maxcolwidths=[column.width for column in columns],
        tablefmt="simple",
        disable_numparse=True,
        missingval="",
    )
