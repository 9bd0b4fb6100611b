"""Write Excel (.xlsx) exports row by row and stream them as downloads.

XlsxWriter's constant_memory mode writes each finished row to a temporary file on
disk, so an export needs memory for about one row, not for the whole sheet.
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
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import IO, Any, Union

from xlsxwriter import Workbook
from xlsxwriter.format import Format
from xlsxwriter.worksheet import Worksheet

from .glossary import Decision
from .storage import content_disposition

logger = logging.getLogger(__name__)

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

DEFAULT_SHEET_TITLE = "数据"
MAX_SHEET_TITLE_LENGTH = 31
# Excel stores at most 32,767 characters in a cell. Longer text is cut to this
# many characters here, and XlsxWriter 3.3 also cuts it to 32,767 UTF-16 code units.
MAX_CELL_TEXT_LENGTH = 32_767

# A finished workbook stays in memory up to this size and then moves to a file on
# disk. The hour report of 80,000 rows with four year columns took 6.7 MB, about
# 88 KB per 1,000 rows (XlsxWriter 3.3.1), so about 95,000 rows fit in 8 MB.
DEFAULT_SPOOL_BYTES = 8 * 1024 * 1024
DEFAULT_CHUNK_SIZE = 64 * 1024

# Characters that XML 1.0 does not allow in a document: C0 controls other than tab,
# line feed and carriage return, lone surrogates, and U+FFFE and U+FFFF.
_XML_ILLEGAL_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")

# Spreadsheet programs read text that starts with any of these as a formula.
FORMULA_PREFIXES = ("=", "+", "-", "@")
_FORMULA_LEADING_BLANKS = " \t\r\n"
_FORMULA_FIRST_CHARACTERS = frozenset(
    "".join(FORMULA_PREFIXES) + _FORMULA_LEADING_BLANKS
)

# ECMA-376 (22.4.2.4) stores a character as "_xHHHH_" in cell text, and Excel
# decodes that on reading. A literal "_xHHHH_" keeps its form only when its first
# underscore is itself stored as "_x005F_". The lookahead leaves the closing
# underscore unconsumed, so in "_x0041_x0042_" both openers are escaped.
_ESCAPE_OPENER_RE = re.compile("_(?=x[0-9A-Fa-f]{4}_)")

# Text that needs `safe_text` or the escape above: any C0 control other than tab
# and line feed (the carriage return included), a lone surrogate, U+FFFE, U+FFFF,
# or an escape-shaped "_xHHHH_". Most cells contain none, and skip both steps.
_NEEDS_CLEANING_RE = re.compile(
    "[\x00-\x08\x0b-\x1f\ud800-\udfff\ufffe\uffff]|_x[0-9A-Fa-f]{4}_"
)

_SHEET_TITLE_FORBIDDEN_RE = re.compile(r"[/\\?*\[\]:]")

_HEADER_FONT = {"bold": True}
_DIGIT_WIDTH_PIXELS = 7
_TITLE_FONT = {"bold": True, "font_size": 14}

# XlsxWriter's generic write() would turn some strings into formulas, numbers or
# hyperlinks. The cell writers call the string writer only, and these options
# also turn the conversions off for any other call.
_WORKBOOK_OPTIONS = {
    "constant_memory": True,
    "strings_to_formulas": False,
    "strings_to_numbers": False,
    "strings_to_urls": False,
}

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


def _unique_title(title: str, used: set[str]) -> str:
    """Return ``title``, with a number appended if another sheet has that name.

    Excel compares sheet names without case, and XlsxWriter raises on a duplicate.
    """
    candidate = title
    number = 0
    while candidate.casefold() in used:
        number += 1
        suffix = str(number)
        candidate = _cut_utf16(title, MAX_SHEET_TITLE_LENGTH - len(suffix)) + suffix

    used.add(candidate.casefold())
    return candidate


def looks_like_formula(text: str) -> bool:
    """Tell whether a spreadsheet could read ``text`` as a formula.

    Leading blanks are skipped first, so "  =cmd" and "\t=cmd" count too, because a
    program that trims cells on import would see the formula.
    """
    return text.lstrip(_FORMULA_LEADING_BLANKS).startswith(FORMULA_PREFIXES)


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


def _stored_text(value: Any) -> str:
    """Return the text a text cell stores for ``value``.

    The text is cleaned by `safe_text` (after mapping a bool to 是 or 否, an enum
    to its label and a date to ISO format), cut to 32,767 characters, and
    "_xHHHH_" is stored as "_x005F_xHHHH_", so Excel shows it unchanged. openpyxl
    3.1 does not decode this escape in inline strings and reads such text back in
    its stored form.
    """
    if value.__class__ is str and _NEEDS_CLEANING_RE.search(value) is None:
        text = value
    else:
        text = _display_text(value)

    if len(text) > MAX_CELL_TEXT_LENGTH:
        text = text[:MAX_CELL_TEXT_LENGTH]

    if "_x" in text:
        text = _ESCAPE_OPENER_RE.sub("_x005F_", text)

    return text


def number_value(value: Any) -> int | float | Decimal | None:
    """Check a value for a number cell and return it, or None for a blank cell.

    A numeric string becomes a Decimal. XlsxWriter 3.3 writes every number with
    16 significant digits ("{:.16G}"), so Decimal("9.8") is stored as 9.8 and the
    float 9.8 as 9.800000000000001, which Excel and Python read as the same double.
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


class _TextWorksheet(Worksheet):
    """A constant_memory worksheet that writes strings exactly as it gets them.

    XlsxWriter escapes "_xHHHH_" in inline strings itself, but without the
    lookahead of `_ESCAPE_OPENER_RE`, so it stores "_x0041_x0042_" as
    "_x005F_x0041_x0042_", whose second escape Excel still decodes. `_stored_text`
    has escaped the text and removed every control character already, so the
    worksheet must not escape it again.
    """

    # NOTE: This overrides a private method of XlsxWriter 3.3's worksheet, which
    # its constant_memory mode calls on every string cell.
    @staticmethod
    def _escape_control_characters(data: str) -> str:
        return data


class _Formats:
    """The cell formats of one workbook, each made once and shared by its cells."""

    def __init__(self, workbook: Workbook) -> None:
        self._workbook = workbook
        self._formats: dict[tuple, Format | None] = {}

    def get(
        self,
        number_format: str = "General",
        *,
        font: Mapping[str, Any] | None = None,
        quote_prefix: bool = False,
    ) -> Format | None:
        """Return the format with these properties, or None for the default style."""
        font = font or {}
        key = (number_format, tuple(sorted(font.items())), quote_prefix)
        if key not in self._formats:
            properties: dict[str, Any] = dict(font)
            if number_format != "General":
                properties["num_format"] = number_format
            if quote_prefix:
                properties["quote_prefix"] = True
            cell_format = self._workbook.add_format(properties) if properties else None
            self._formats[key] = cell_format

        return self._formats[key]


# A cell writer takes the zero-based row number and the value of one cell.
# NOTE: The writers call XlsxWriter 3.3's undecorated _write_string,
# _write_number, _write_blank and _write_datetime, which the public write_*
# methods wrap in a check for "A1" arguments. That check took about 4% of an
# 80,000-row export under cProfile, and the writers always pass row and column
# numbers.
CellWriter = Callable[[int, Any], Any]


def _text_writer(
    ws: Worksheet,
    column_number: int,
    plain: Format | None,
    quoted: Format | None,
    *,
    reject_float: bool,
) -> CellWriter:
    """Return a writer of text cells, blank for empty text.

    Text that `looks_like_formula` also gets the quotePrefix style. Excel records
    that style for text typed after an apostrophe, so editing the cell in Excel
    keeps it text. The apostrophe is not part of the value.
    """
    write_blank = ws._write_blank
    write_string = ws._write_string

    def write(row: int, value: Any) -> None:
        if reject_float and value.__class__ is float:
            # A float has already lost the digits beyond the 15th or 16th of an
            # 18-digit ID-card number.
            raise TypeError(
                f"pass ID and mobile numbers as strings, got float {value!r}"
            )

        text = _stored_text(value)
        if not text:
            write_blank(row, column_number, None, plain)
        elif text[0] in _FORMULA_FIRST_CHARACTERS and looks_like_formula(text):
            write_string(row, column_number, text, quoted)
        else:
            write_string(row, column_number, text, plain)

    return write


def _number_writer(
    ws: Worksheet, column_number: int, style: Format | None
) -> CellWriter:
    write_blank = ws._write_blank
    write_number = ws._write_number

    def write(row: int, value: Any) -> None:
        number = number_value(value)
        if number is None:
            write_blank(row, column_number, None, style)
        else:
            write_number(row, column_number, number, style)

    return write


def _date_writer(
    ws: Worksheet, column_number: int, style: Format | None
) -> CellWriter:
    write_blank = ws._write_blank
    write_datetime = ws._write_datetime

    def write(row: int, value: Any) -> None:
        date = date_value(value)
        if date is None:
            write_blank(row, column_number, None, style)
        else:
            write_datetime(row, column_number, date, style)

    return write


def _cell_writer(
    ws: Worksheet, formats: _Formats, column_number: int, column: Column
) -> CellWriter:
    """Return the writer of one column's cells, with its formats made once."""
    number_format = column.cell_format
    style = formats.get(number_format)
    if column.kind is ColumnKind.NUMBER:
        return _number_writer(ws, column_number, style)

    if column.kind is ColumnKind.DATE:
        return _date_writer(ws, column_number, style)

    quoted = formats.get(number_format, quote_prefix=True)
    return _text_writer(
        ws, column_number, style, quoted, reject_float=column.kind is ColumnKind.ID_TEXT
    )


def _write_text_line(
    ws: Worksheet,
    formats: _Formats,
    row: int,
    values: Sequence[Any],
    font: Mapping[str, Any] | None,
) -> None:
    plain = formats.get(font=font)
    quoted = formats.get(font=font, quote_prefix=True)
    for column_number, value in enumerate(values):
        write = _text_writer(ws, column_number, plain, quoted, reject_float=False)
        write(row, value)


def _write_sheet(
    workbook: Workbook, formats: _Formats, sheet: Sheet, title: str
) -> int:
    """Append one worksheet to ``workbook`` and return its number of data rows."""
    ws = workbook.add_worksheet(title, worksheet_class=_TextWorksheet)
    columns = list(sheet.columns)
    for column_number, column in enumerate(columns):
        # The file stores a width in units of the default font's widest digit,
        # 7 pixels for Calibri 11. In pixels the stored width equals
        # ``column.width``, whereas set_column would add Excel's 5-pixel padding.
        pixels = round(column.width * _DIGIT_WIDTH_PIXELS)
        ws.set_column_pixels(column_number, column_number, pixels)

    # The rows above the data stay visible while scrolling.
    header_row = len(sheet.preamble)
    ws.freeze_panes(header_row + 1, 0)

    row = 0
    for line_number, line in enumerate(sheet.preamble):
        font = _TITLE_FONT if line_number == 0 else None
        _write_text_line(ws, formats, row, line, font)
        row += 1

    headers = [column.header for column in columns]
    _write_text_line(ws, formats, row, headers, _HEADER_FONT)
    row += 1

    writers = [
        _cell_writer(ws, formats, column_number, column)
        for column_number, column in enumerate(columns)
    ]
    width = len(writers)
    count = 0
    for count, values in enumerate(sheet.rows, start=1):
        if not isinstance(values, (list, tuple)):
            values = list(values)
        if len(values) != width:
            raise ValueError(
                f"row {count} of sheet {title!r} has {len(values)} values, "
                f"expected {width}"
            )
        for write, value in zip(writers, values):
            write(row, value)
        row += 1

    for line in sheet.footer:
        _write_text_line(ws, formats, row, line, None)
        row += 1

    return count


def write_workbook(target: Target, sheets: Iterable[Sheet]) -> dict[str, int]:
    """Write ``sheets`` as an .xlsx workbook to a path or a binary file.

    Rows are consumed one at a time in XlsxWriter's constant_memory mode. Returns
    the number of data rows of each sheet by its final title. A title that the
    workbook has already gets a number appended. Raises ValueError for a row whose
    length differs from the columns, and for a workbook without sheets.
    """
    if isinstance(target, os.PathLike):
        target = os.fspath(target)

    workbook = Workbook(target, _WORKBOOK_OPTIONS)
    formats = _Formats(workbook)
    counts: dict[str, int] = {}
    used_titles: set[str] = set()
    try:
        for sheet in sheets:
            title = _unique_title(sheet_title(sheet.title), used_titles)
            counts[title] = _write_sheet(workbook, formats, sheet, title)

        if not counts:
            raise ValueError("a workbook needs at least one sheet")

        workbook.close()
    except BaseException:
        _discard_sheet_files(workbook)
        raise

    logger.info("Wrote workbook with %d sheets: %s", len(counts), counts)
    return counts


def _discard_sheet_files(workbook: Workbook) -> None:
    """Close and delete the row files of a workbook that was not written.

    XlsxWriter 3.3 deletes a worksheet's row file only when the workbook is
    closed, so a failed export in a long-running server would otherwise leave
    it on disk.
    """
    # NOTE: This uses XlsxWriter 3.3 internals: the worksheet attributes
    # row_data_fh and row_data_filename of constant_memory mode. A failure while
    # close() packs the archive can also leave the packer's own temporary files.
    workbook.fileclosed = True
    for ws in workbook.worksheets():
        path = getattr(ws, "row_data_filename", None)
        if path is None:
            continue

        try:
            ws.row_data_fh.close()
            ws.row_data_fh_closed = True
            if os.path.exists(path):
                os.unlink(path)
        except OSError as error:
            logger.warning("Failed to delete temporary sheet file %s: %s", path, error)


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
    # The dict check first skips the slower abstract Mapping check for most rows.
    if row.__class__ is dict or isinstance(row, Mapping):
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
