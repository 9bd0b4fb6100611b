"""Write Excel (.xlsx) exports row by row and stream them as downloads.

openpyxl's write-only mode sends each row to a temporary file on disk as it
arrives, so an export needs memory for about one row, not for the whole sheet.
Callers pass plain Python values and get a file back. This module imports neither
Flask nor SQLAlchemy, so a view builds its rows from a query and then calls, e.g.::

    file = write_workbook_tempfile([qualified_list(rows, years)])
    return Response(
        stream_file(file),
        mimetype=XLSX_MIMETYPE,
        headers={"Content-Disposition": attachment_header(name)},
    )
"""

from __future__ import annotations

import datetime as dt
import enum
import logging
import math
import os
import re
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from copy import copy
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import IO, TYPE_CHECKING, Any, Union

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ERROR_CODES
from openpyxl.styles.cell_style import StyleArray
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._writer import ALL_TEMP_FILES

from .glossary import Decision
from .storage import content_disposition

if TYPE_CHECKING:
    from openpyxl.worksheet._write_only import WriteOnlyWorksheet

logger = logging.getLogger(__name__)

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

DEFAULT_SHEET_TITLE = "数据"
MAX_SHEET_TITLE_LENGTH = 31
# Excel stores at most 32,767 characters in a cell, and openpyxl 3.1 cuts longer
# strings to this length without a warning.
MAX_CELL_TEXT_LENGTH = 32_767

# A finished workbook stays in memory up to this size and then moves to a file on
# disk. The qualified list with four year columns took about 65 KB per 1,000 rows
# (measured with openpyxl 3.1.5), so about 120,000 rows fit in 8 MB.
DEFAULT_SPOOL_BYTES = 8 * 1024 * 1024
DEFAULT_CHUNK_SIZE = 64 * 1024

# Characters that XML 1.0 does not allow in a document: C0 controls other than tab,
# line feed and carriage return, lone surrogates, and U+FFFE and U+FFFF. This is a
# superset of openpyxl.cell.cell.ILLEGAL_CHARACTERS_RE, which omits the last two
# groups.
_XML_ILLEGAL_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")

# Spreadsheet programs read text that starts with any of these as a formula.
FORMULA_PREFIXES = ("=", "+", "-", "@")
_FORMULA_LEADING_BLANKS = " \t\r\n"

# ECMA-376 (22.4.2.4) stores a character as "_xHHHH_" in cell text, and Excel
# decodes that on reading. A literal "_xHHHH_" keeps its form only when its first
# underscore is itself stored as "_x005F_". The lookahead leaves the closing
# underscore unconsumed, so in "_x0041_x0042_" both openers are escaped.
_ESCAPE_OPENER_RE = re.compile("_(?=x[0-9A-Fa-f]{4}_)")

_SHEET_TITLE_FORBIDDEN_RE = re.compile(r"[/\\?*\[\]:]")

_HEADER_FONT = Font(bold=True)
_TITLE_FONT = Font(bold=True, size=14)

SIGNATURE_LINE = "单位（盖章）：__________    负责人签字：__________    日期：____年__月__日"

Target = Union[str, "os.PathLike[str]", IO[bytes]]


class ColumnKind(str, enum.Enum):
    """Cell type of a column, which also sets its default number format."""

    TEXT = "text"
    """Text with the General number format, so Excel shows it as entered."""
    ID_TEXT = "id_text"
    """Digits that must stay text (ID-card and mobile numbers), formatted as "@"."""
    NUMBER = "number"
    """An int, float, Decimal or numeric string, written as an Excel number."""
    DATE = "date"
    """A date, datetime or YYYY-MM-DD string, written as a date cell."""


_DEFAULT_FORMATS = {
    ColumnKind.TEXT: "General",
    ColumnKind.ID_TEXT: "@",
    ColumnKind.NUMBER: "General",
    ColumnKind.DATE: "yyyy-mm-dd",
}


@dataclass(frozen=True)
class Column:
    """A declared column: header text, cell kind, width and number format."""

    header: str
    kind: ColumnKind = ColumnKind.TEXT
    width: float = 12
    """Width in Excel's character units, about one Latin digit each."""
    number_format: str | None = None
    """Excel number format, or None for the default of ``kind``."""

    def __post_init__(self) -> None:
        # Accept the plain strings "text", "id_text", "number" and "date" too.
        object.__setattr__(self, "kind", ColumnKind(self.kind))

    @property
    def cell_format(self) -> str:
        return self.number_format or _DEFAULT_FORMATS[self.kind]


@dataclass(frozen=True)
class Sheet:
    """A worksheet to write: its columns, its data rows and free text around them."""

    title: str
    columns: Sequence[Column]
    rows: Iterable[Sequence[Any]]
    """Data rows, one value per column, read once in order. Pass a generator."""
    preamble: Sequence[Sequence[Any]] = ()
    """Lines above the header row, written as text. An empty line is a blank row."""
    footer: Sequence[Sequence[Any]] = ()
    """Lines below the data rows, written as text."""


def safe_text(value: Any) -> str:
    """Convert ``value`` to text that survives a round trip through .xlsx XML.

    Characters that XML 1.0 forbids are removed instead of failing the export.
    A carriage return becomes a line feed, because XML parsers, openpyxl's reader
    included, turn a raw CR into LF on reading. Chinese text is kept unchanged.
    None becomes "".
    """
    if value is None:
        return ""

    text = value if isinstance(value, str) else str(value)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return _XML_ILLEGAL_RE.sub("", text)


def sheet_title(name: Any) -> str:
    """Return a worksheet name that Excel accepts, made from ``name``.

    The characters / \\ ? * [ ] : and XML-illegal characters are removed, leading
    and trailing apostrophes are stripped, and the name is cut to 31 UTF-16 code
    units, which is the same as 31 characters for Chinese. An empty result becomes
    "数据".
    """
    title = safe_text(name).replace("\n", " ")
    title = _SHEET_TITLE_FORBIDDEN_RE.sub("", title).strip("'")
    title = _cut_utf16(title, MAX_SHEET_TITLE_LENGTH).strip("'")
    return title or DEFAULT_SHEET_TITLE


def _cut_utf16(text: str, limit: int) -> str:
    """Cut ``text`` to at most ``limit`` UTF-16 code units without splitting a pair."""
    if len(text) <= limit // 2:
        return text

    units = 0
    for index, char in enumerate(text):
        units += 2 if ord(char) > 0xFFFF else 1
        if units > limit:
            return text[:index]

    return text


def looks_like_formula(text: str) -> bool:
    """Tell whether a spreadsheet could read ``text`` as a formula.

    Leading blanks are skipped first, so "  =cmd" and "\t=cmd" count too, because a
    program that trims cells on import would see the formula.
    """
    return text.lstrip(_FORMULA_LEADING_BLANKS).startswith(FORMULA_PREFIXES)


def text_cell(
    ws: WriteOnlyWorksheet, value: Any, *, number_format: str = "General"
) -> WriteOnlyCell:
    """Build a write-only cell that stores ``value`` as a string, never a formula.

    openpyxl 3.1 marks a string that starts with "=" as a formula (data type "f")
    and one such as "#N/A" as an error value (data type "e"). Setting the data
    type back to "s" makes its writer store the text as an inline string
    (t="inlineStr"), a cell type that contains text only. openpyxl reads it back as
    the same string with data type "s".

    A value that starts with = + - or @, also after leading blanks, also gets the
    quotePrefix style. Excel records that style for text typed after an
    apostrophe, so editing the cell in Excel keeps it text. The apostrophe is not
    part of the value.

    Text shaped like "_xHHHH_" is stored as "_x005F_xHHHH_", so Excel shows it
    unchanged. openpyxl 3.1 does not decode this escape in inline strings and
    reads such text back in its stored form.
    """
    text = _display_text(value)[:MAX_CELL_TEXT_LENGTH]
    text = _ESCAPE_OPENER_RE.sub("_x005F_", text)
    cell = WriteOnlyCell(ws, value=text)
    cell.data_type = "s"
    cell.number_format = number_format
    if looks_like_formula(text):
        cell.quotePrefix = True

    return cell


def id_text_cell(
    ws: WriteOnlyWorksheet, value: Any, *, number_format: str = "@"
) -> WriteOnlyCell:
    """Build a text cell formatted as "@" for an ID-card or mobile number.

    A float is rejected because it has already lost the digits beyond the 15th or
    16th of an 18-digit ID-card number.
    """
    if isinstance(value, float):
        raise TypeError(f"pass ID and mobile numbers as strings, got float {value!r}")

    return text_cell(ws, value, number_format=number_format)


def _display_text(value: Any) -> str:
    """Return the text shown for a value in a text cell."""
    if isinstance(value, enum.Enum) and hasattr(value, "label"):
        return safe_text(value.label)

    if isinstance(value, bool):
        return "是" if value else "否"

    # A datetime is a date too, and keeps its time in ISO format.
    if isinstance(value, dt.date):
        return value.isoformat()

    return safe_text(value)


def number_value(value: Any) -> int | float | Decimal | None:
    """Check a value for a number cell and return it, or None for a blank cell.

    A numeric string becomes a Decimal. openpyxl 3.1 writes every number with 16
    significant digits ("%.16g"), so Decimal("9.8") is stored as 9.800000000000001,
    which Excel and Python read as the same double as 9.8.
    Raises ValueError for text that is not a number or for NaN and infinity, and
    TypeError for a bool or another type.
    """
    if value is None or value == "":
        return None

    if isinstance(value, bool):
        raise TypeError(f"a bool is not a number for an Excel cell: {value!r}")

    if isinstance(value, str):
        try:
            value = Decimal(value.strip())
        except InvalidOperation:
            raise ValueError(f"invalid number for an Excel cell: {value!r}") from None

    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"Excel cannot store the number {value!r}")
        return value

    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"Excel cannot store the number {value!r}")
        return value

    if isinstance(value, int):
        return value

    raise TypeError(f"unsupported type for a number cell: {type(value).__name__}")


def date_value(value: Any) -> dt.date | None:
    """Check a value for a date cell and return it, or None for a blank cell.

    A datetime loses its time and time zone, because the column shows a date.
    A string must be in ISO format (YYYY-MM-DD), else ValueError is raised.
    """
    if value is None or value == "":
        return None

    if isinstance(value, dt.datetime):
        return value.date()

    if isinstance(value, dt.date):
        return value

    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            raise ValueError(
                f"invalid date {value!r} for an Excel cell, expected YYYY-MM-DD"
            ) from None

    raise TypeError(f"unsupported type for a date cell: {type(value).__name__}")


CellWriter = Callable[[Any], Any]


def _cell_writers(ws: WriteOnlyWorksheet, columns: Sequence[Column]) -> list[CellWriter]:
    """Return, per column, a function that turns a value into what ws.append takes.

    Text goes through the same checks as `text_cell` and `id_text_cell`, numbers
    and dates through `number_value` and `date_value`. A cell in the default
    style is passed as a plain value, which openpyxl writes as it would a
    WriteOnlyCell; a styled cell copies a style made once per column instead
    of looking its number format up again for every cell.
    """
    return [_cell_writer(ws, column) for column in columns]


def _cell_writer(ws: WriteOnlyWorksheet, column: Column) -> CellWriter:
    kind = column.kind
    number_format = column.cell_format
    if number_format == "General" and kind is ColumnKind.TEXT:
        return lambda value: _plain_text(ws, value)

    if number_format == "General" and kind is ColumnKind.NUMBER:
        return number_value

    style = _style_array(ws, number_format)
    if kind is ColumnKind.ID_TEXT:
        return lambda value: _styled_text(ws, _id_value(value), style)

    if kind is ColumnKind.TEXT:
        return lambda value: _styled_text(ws, value, style)

    convert = number_value if kind is ColumnKind.NUMBER else date_value
    return lambda value: _styled_cell(ws, convert(value), style)


def _style_array(ws: WriteOnlyWorksheet, number_format: str) -> StyleArray:
    cell = WriteOnlyCell(ws)
    cell.number_format = number_format
    return cell._style


def _styled_cell(ws: WriteOnlyWorksheet, value: Any, style: StyleArray) -> WriteOnlyCell:
    # NOTE: `_style` is openpyxl 3.1's per-cell StyleArray, the attribute its own
    # worksheet copier assigns. The style is set before the value, because
    # binding a date reads the number format.
    cell = WriteOnlyCell(ws)
    cell._style = copy(style)
    cell.value = value
    return cell


def _stored_text(value: Any) -> str:
    """Return the text a text cell stores: cut to Excel's limit, "_xHHHH_" escaped."""
    text = _display_text(value)[:MAX_CELL_TEXT_LENGTH]
    if "_x" in text:
        text = _ESCAPE_OPENER_RE.sub("_x005F_", text)
    return text


def _plain_text(ws: WriteOnlyWorksheet, value: Any) -> Any:
    """Return the text as a plain value, or a text cell where openpyxl would misread it.

    openpyxl binds a plain string that starts with "=" as a formula and one of
    its error codes ("#N/A", ...) as an error, so those, and text that gets the
    quotePrefix style, go through `text_cell`.
    """
    text = _stored_text(value)
    if looks_like_formula(text) or text in ERROR_CODES:
        return text_cell(ws, value)

    return text


def _styled_text(ws: WriteOnlyWorksheet, value: Any, style: StyleArray) -> WriteOnlyCell:
    text = _stored_text(value)
    cell = _styled_cell(ws, text, style)
    cell.data_type = "s"
    if looks_like_formula(text):
        cell.quotePrefix = True

    return cell


def _id_value(value: Any) -> Any:
    if isinstance(value, float):
        raise TypeError(f"pass ID and mobile numbers as strings, got float {value!r}")

    return value


def _text_line(
    ws: WriteOnlyWorksheet, values: Sequence[Any], font: Font | None
) -> list[WriteOnlyCell]:
    cells = []
    for value in values:
        cell = text_cell(ws, value)
        if font is not None:
            cell.font = font
        cells.append(cell)
    return cells


def _write_sheet(workbook: Workbook, sheet: Sheet) -> int:
    """Append one worksheet to ``workbook`` and return its number of data rows."""
    title = sheet_title(sheet.title)
    ws = workbook.create_sheet(title)
    columns = list(sheet.columns)
    for index, column in enumerate(columns, start=1):
        ws.column_dimensions[get_column_letter(index)].width = column.width

    # The rows above the data stay visible while scrolling.
    header_row = len(sheet.preamble) + 1
    ws.freeze_panes = f"A{header_row + 1}"

    for line_number, line in enumerate(sheet.preamble):
        ws.append(_text_line(ws, line, _TITLE_FONT if line_number == 0 else None))

    ws.append(_text_line(ws, [column.header for column in columns], _HEADER_FONT))

    writers = _cell_writers(ws, columns)
    count = 0
    for count, row in enumerate(sheet.rows, start=1):
        values = list(row)
        if len(values) != len(columns):
            raise ValueError(
                f"row {count} of sheet {title!r} has {len(values)} values, "
                f"expected {len(columns)}"
            )
        ws.append([write(value) for write, value in zip(writers, values)])

    for line in sheet.footer:
        ws.append(_text_line(ws, line, None))

    return count


def write_workbook(target: Target, sheets: Iterable[Sheet]) -> dict[str, int]:
    """Write ``sheets`` as an .xlsx workbook to a path or a binary file.

    Rows are consumed one at a time in openpyxl's write-only mode. Returns the
    number of data rows of each sheet by its final title. Raises ValueError for a
    row whose length differs from the columns, and for a workbook without sheets.
    """
    workbook = Workbook(write_only=True)
    counts: dict[str, int] = {}
    try:
        for sheet in sheets:
            count = _write_sheet(workbook, sheet)
            counts[workbook.worksheets[-1].title] = count

        if not counts:
            raise ValueError("a workbook needs at least one sheet")

        workbook.save(target)
    except BaseException:
        _discard_sheet_files(workbook)
        raise

    logger.info("Wrote workbook with %d sheets: %s", len(counts), counts)
    return counts


def _discard_sheet_files(workbook: Workbook) -> None:
    """Close and delete the temporary files of a workbook that was not saved.

    openpyxl 3.1 deletes them only on save or at interpreter exit, so a failed
    export in a long-running server would otherwise leave them on disk.
    """
    # NOTE: This uses openpyxl 3.1 internals: the worksheet's _rows generator and
    # _writer, and the module list ALL_TEMP_FILES. If they change, the files stay
    # until the interpreter exits.
    for ws in workbook.worksheets:
        writer = getattr(ws, "_writer", None)
        if writer is None or writer.out not in ALL_TEMP_FILES:
            continue

        try:
            # Finish the row generator first, because garbage collection would
            # otherwise close it later and make it write into the closed file.
            rows = getattr(ws, "_rows", None)
            if rows is not None:
                rows.close()
            writer.close()
            writer.cleanup()
        except (OSError, ValueError) as error:
            logger.warning(
                "Failed to delete temporary sheet file %s: %s", writer.out, error
            )


def write_workbook_tempfile(
    sheets: Iterable[Sheet], *, max_memory: int = DEFAULT_SPOOL_BYTES
) -> IO[bytes]:
    """Write ``sheets`` into a temporary file and return it, rewound, for streaming.

    The file stays in memory up to ``max_memory`` bytes and moves to disk beyond
    that. Closing it deletes it, which stream_file does once the last chunk is sent.
    """
    file = tempfile.SpooledTemporaryFile(max_size=max_memory, suffix=".xlsx")
    try:
        write_workbook(file, sheets)
        file.seek(0)
    except BaseException:
        file.close()
        raise

    return file


class _FileChunks:
    """An iterator over the chunks of a file that closes the file when done.

    A class instead of a generator, because a WSGI server calls close() on the
    response iterable even when the download ends before the first chunk, and a
    generator that never started would ignore that call.
    """

    def __init__(self, file: IO[bytes], chunk_size: int) -> None:
        self._file = file
        self._chunk_size = chunk_size

    def __iter__(self) -> "_FileChunks":
        return self

    def __next__(self) -> bytes:
        if self._file.closed:
            raise StopIteration

        chunk = self._file.read(self._chunk_size)
        if not chunk:
            self.close()
            raise StopIteration

        return chunk

    def close(self) -> None:
        self._file.close()


def stream_file(
    file: IO[bytes], chunk_size: int = DEFAULT_CHUNK_SIZE
) -> Iterator[bytes]:
    """Yield the bytes of a finished file from its start, then close the file.

    The file is also closed when the consumer stops early and calls close(), as
    Werkzeug does when a client disconnects. Closing deletes a TemporaryFile, a
    SpooledTemporaryFile or a NamedTemporaryFile created with delete=True.
    """
    if chunk_size <= 0:
        raise ValueError(f"chunk_size must be positive, got {chunk_size}")

    file.seek(0)
    return _FileChunks(file, chunk_size)


def attachment_header(filename: str) -> str:
    """Build a Content-Disposition value for downloading ``filename``.

    This is storage.content_disposition: an ASCII ``filename`` fallback, e.g.
    "2026.xlsx" or "download.xlsx", and the full UTF-8 name in ``filename*``
    as RFC 5987 defines it.
    """
    return content_disposition(filename)


# The review screens' exports. Each row is a mapping, or an object with the same
# attributes, with these keys. Values are display text unless stated otherwise.
#   name, id_number, mobile
#   unit_path       the full unit path, e.g. "省公司 / 市公司 / 部门"
#   year            the application year, an int
#   method          the label of the application method (申报方式)
#   current_level   现职称等级
#   target_title    拟申报职称
#   year_hours      a mapping from year (int or str) to hours. An absent year is
#                   left blank.
#   total_hours     a number
#   is_exception    a bool, shown as 破格 if true and 正常 if false
#   decision        this level's decision (审核结果)
#   final_result    the top level's decision, None until it decides
#   compliant       a bool, whether the hours meet the requirement (hour_report)
# A decision is a glossary Decision, its code ("pass" or "fail") or its label.

QUALIFIED_SHEET_TITLE = "审核合格人员"
_HOURS_FORMAT = "0.0"


def _field(row: Mapping[str, Any] | Any, key: str) -> Any:
    """Read ``key`` from a mapping or an attribute, raising if it is missing."""
    if isinstance(row, Mapping):
        return row[key]

    return getattr(row, key)


def _year_hours(row: Any, year: int) -> Any:
    hours = _field(row, "year_hours") or {}
    if year in hours:
        return hours[year]

    return hours.get(str(year))


def _decision_label(value: Any) -> str:
    if value is None or value == "":
        return ""

    try:
        return Decision(value).label
    except ValueError:
        return safe_text(value)


def _review_type(row: Any) -> str:
    return "破格" if _field(row, "is_exception") else "正常"


def _year_columns(years: Sequence[int]) -> list[Column]:
    return [
        Column(f"{year}年学时", ColumnKind.NUMBER, 11, _HOURS_FORMAT) for year in years
    ]


def _person_columns() -> list[Column]:
    return [
        Column("序号", ColumnKind.NUMBER, 6),
        Column("姓名", ColumnKind.TEXT, 10),
        Column("身份证号", ColumnKind.ID_TEXT, 21),
    ]


def _application_columns() -> list[Column]:
    return [
        Column("单位", ColumnKind.TEXT, 40),
        Column("申报年份", ColumnKind.NUMBER, 9),
        Column("申报方式", ColumnKind.TEXT, 9),
        Column("现职称等级", ColumnKind.TEXT, 11),
        Column("拟申报职称", ColumnKind.TEXT, 18),
    ]


def _application_values(row: Any) -> list[Any]:
    return [
        _field(row, "unit_path"),
        _field(row, "year"),
        _field(row, "method"),
        _field(row, "current_level"),
        _field(row, "target_title"),
    ]


def qualified_list(rows: Iterable[Any], years: Sequence[int]) -> Sheet:
    """Build the sheet "审核合格人员" that lists applicants who passed review.

    ``rows`` must already be sorted by unit and then by name in pinyin order,
    because the sheet keeps the order given and numbers the rows from 1.
    ``years`` lists the years that get an hours column, oldest first.
    """
    years = list(years)
    columns = [
        *_person_columns(),
        Column("手机号", ColumnKind.ID_TEXT, 13),
        *_application_columns(),
        *_year_columns(years),
        Column("总学时", ColumnKind.NUMBER, 9, _HOURS_FORMAT),
        Column("审核类型", ColumnKind.TEXT, 9),
        Column("审核结果", ColumnKind.TEXT, 9),
        Column("最终结果", ColumnKind.TEXT, 9),
    ]

    def values() -> Iterator[list[Any]]:
        for number, row in enumerate(rows, start=1):
            yield [
                number,
                _field(row, "name"),
                _field(row, "id_number"),
                _field(row, "mobile"),
                *_application_values(row),
                *(_year_hours(row, year) for year in years),
                _field(row, "total_hours"),
                _review_type(row),
                _decision_label(_field(row, "decision")),
                _decision_label(_field(row, "final_result")),
            ]

    return Sheet(QUALIFIED_SHEET_TITLE, columns, values())


def hour_report(
    unit_name: str, year: int, rows: Iterable[Any], years: Sequence[int]
) -> Sheet:
    """Build a unit's credit-hour report (学时报表) for one application year.

    Row 1 contains the title in its first cell, because write-only mode cannot merge
    cells. A blank row and the header follow, then one row per application, and
    after two blank rows a line for the unit's seal, the signature and the date.
    ``rows`` keep the order given.
    """
    years = list(years)
    columns = [
        *_person_columns(),
        *_application_columns(),
        *_year_columns(years),
        Column("总学时", ColumnKind.NUMBER, 9, _HOURS_FORMAT),
        Column("是否合格", ColumnKind.TEXT, 9),
        Column("审核类型", ColumnKind.TEXT, 9),
        Column("审核结果", ColumnKind.TEXT, 9),
        Column("最终结果", ColumnKind.TEXT, 9),
    ]

    def values() -> Iterator[list[Any]]:
        for number, row in enumerate(rows, start=1):
            yield [
                number,
                _field(row, "name"),
                _field(row, "id_number"),
                *_application_values(row),
                *(_year_hours(row, year) for year in years),
                _field(row, "total_hours"),
                "合格" if _field(row, "compliant") else "不合格",
                _review_type(row),
                _decision_label(_field(row, "decision")),
                _decision_label(_field(row, "final_result")),
            ]

    title = f"{safe_text(unit_name)}{year}年专业技术人员继续教育学时报表"
    return Sheet(
        title=f"{year}年学时报表",
        columns=columns,
        rows=values(),
        preamble=[[title], []],
        footer=[[], [], [SIGNATURE_LINE]],
    )
