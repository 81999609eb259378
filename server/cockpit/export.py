"""A table (columns + rows) as a CSV or XLSX download, safe to open in a spreadsheet.

Cells come from customers and portals (names, sources, messages): a value such as
`=HYPERLINK(...)` or `+cmd|...` would run as a formula when the file is opened (CSV/formula
injection). In CSV such text gets a leading apostrophe, which spreadsheets show as text; in XLSX
the cell is written with the string type, which is never evaluated, so the text stays as it was.
Numbers stay numbers in both.

CSV is UTF-8 with a byte-order mark (Excel reads it as UTF-8 only then) and uses `;` for French
readers, whose spreadsheets expect it, `,` otherwise.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from flask import Response
from flask_babel import get_locale

EXPORT_FORMATS = ("csv", "xlsx")
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")
# Characters XLSX (XML 1.0) cannot hold.
_ILLEGAL_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_FILENAME_SAFE = re.compile(r"[^A-Za-z0-9_.-]+")


@dataclass
class Table:
    title: str
    columns: Sequence[str]
    rows: list[Sequence] = field(default_factory=list)


def _plain(value):
    """Numbers and dates as themselves, everything else as text (lazy strings included)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, (int, float, Decimal, date, datetime)):
        return value
    return str(value)


def csv_safe(value) -> str:
    value = _plain(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if not isinstance(value, str):
        return str(value)
    if value.startswith(_FORMULA_START):
        return "'" + value
    return value


def csv_delimiter() -> str:
    locale = get_locale()
    return ";" if locale is not None and locale.language == "fr" else ","


def to_csv(table: Table, delimiter: str = ",") -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow([csv_safe(c) for c in table.columns])
    for row in table.rows:
        writer.writerow([csv_safe(v) for v in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def to_xlsx(table: Table) -> bytes:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    workbook = Workbook(write_only=True)
    # Sheet titles: 31 characters, none of []:*?/\
    sheet = workbook.create_sheet(re.sub(r"[\[\]:*?/\\]", " ", table.title)[:31] or "Sheet")

    def cell(value):
        value = _plain(value)
        if isinstance(value, datetime) and value.tzinfo is not None:
            value = value.replace(tzinfo=None)  # Excel has no time zones; the caller gives local times
        out = WriteOnlyCell(sheet, value=_ILLEGAL_XML.sub("", value) if isinstance(value, str) else value)
        if isinstance(value, str):
            out.data_type = "s"  # openpyxl would store "=..." as a formula; a string is never evaluated
        return out

    sheet.append([cell(c) for c in table.columns])
    for row in table.rows:
        sheet.append([cell(v) for v in row])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def export_response(table: Table, fmt: str, filename: str) -> Response:
    """The download; `fmt` must be one of EXPORT_FORMATS (the caller validates it)."""
    stem = _FILENAME_SAFE.sub("-", filename).strip("-") or "export"
    if fmt == "csv":
        body, mimetype = to_csv(table, csv_delimiter()), "text/csv; charset=utf-8"
    elif fmt == "xlsx":
        body, mimetype = to_xlsx(table), XLSX_MIME
    else:
        raise ValueError(fmt)
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{stem}.{fmt}"'
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
