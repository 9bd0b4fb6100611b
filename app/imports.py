"""Read uploaded Excel (.xlsx) import files and build their templates.

This module handles columns, cells and limits, not units or accounts, and
imports neither Flask nor SQLAlchemy. An import reads its sheet with `read_rows`, which
returns every row as text keyed by header together with the cell problems
found. The caller checks the values, and writes all rows or none.

Excel stores a typed ID-card or mobile number as a number unless its column is
formatted as text, and an 18-digit number then loses its last digits. So a
number in an identifier column is reported, never converted back to text.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import IO, Any
from xml.etree.ElementTree import ParseError

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.utils.exceptions import InvalidFileException
from openpyxl.worksheet.datavalidation import DataValidation

from .exports import safe_text

log = logging.getLogger(__name__)

MAX_FILE_BYTES = 2 * 1024 * 1024
# The parts of an .xlsx are deflated XML. 5,000 rows of the reviewer sheet with
# long unit paths unpack to about 2.6 MB (openpyxl 3.1.5), so 40 MB leaves room
# for any real file and still stops a small archive that unpacks to gigabytes.
MAX_UNPACKED_BYTES = 40 * 1024 * 1024
TEXT_FORMAT = "@"
DATA_SHEET_TITLE = "导入数据"
HELP_SHEET_TITLE = "填写说明"
HEADER_ROW = 1

# Exceptions of openpyxl 3.1 on a damaged or foreign archive, which vary with
# the part that is broken.
_LOAD_ERRORS = (
    zipfile.BadZipFile,
    InvalidFileException,
    KeyError,
    ValueError,
    TypeError,
    OSError,
    ParseError,
)


class ImportRejected(ValueError):
    """A file that cannot be imported as a whole, with a Chinese `message`."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class ImportColumn:
    """A column of an import sheet."""

    header: str
    required: bool = True
    identifier: bool = False
    """Codes, usernames, ID-card and mobile numbers: a number cell is rejected."""
    max_length: int = 120
    width: float = 18
    note: str = ""
    """Filling instructions, shown on the template's help sheet."""
    choices: tuple[str, ...] = ()
    """Allowed values, offered as a drop-down list in the template."""


@dataclass(frozen=True)
class RowProblem:
    """One problem of one row: the sheet row number, the column header, the message."""

    row: int
    field: str
    message: str


class ProblemList:
    """The problems of a sheet, at most one per row and column, in row order."""

    def __init__(self, problems: Sequence[RowProblem] = ()) -> None:
        self._problems = list(problems)
        self._cells = {(problem.row, problem.field) for problem in problems}

    def add(self, row: int, field: str, message: str | None) -> None:
        """Record `message` for a cell, unless it is None or the cell has a problem."""
        if message and (row, field) not in self._cells:
            self._problems.append(RowProblem(row, field, message))
            self._cells.add((row, field))

    def sorted(self) -> list[RowProblem]:
        return sorted(self._problems, key=lambda problem: problem.row)


@dataclass
class SheetRows:
    """The data rows of a sheet as text, with the problems found in their cells."""

    rows: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    """(sheet row number, {header: text}); a cell with a problem reads as ""."""
    problems: list[RowProblem] = field(default_factory=list)


def read_upload(stream: IO[bytes], max_bytes: int = MAX_FILE_BYTES) -> bytes:
    """Read an uploaded file, rejecting it once it passes `max_bytes`."""
    data = stream.read(max_bytes + 1)
    if not data:
        raise ImportRejected("请选择要导入的 Excel 文件（.xlsx）。")
    if len(data) > max_bytes:
        raise ImportRejected(
            f"文件超过 {max_bytes // (1024 * 1024)}MB，请拆分为多个文件后分别导入。"
        )
    return data


def check_xlsx(data: bytes) -> None:
    """Reject content that is not an .xlsx workbook, whatever the file is called.

    An .xlsx is a zip archive with "[Content_Types].xml" and "xl/workbook.xml".
    An old .xls, a CSV, a password-protected workbook (an OLE container) and a
    .docx all fail this check.
    """
    message = "文件不是 Excel 工作簿（.xlsx）。请用 Excel 另存为“Excel 工作簿(*.xlsx)”后重新导入。"
    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise ImportRejected(message)
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            entries = archive.infolist()
    except zipfile.BadZipFile:
        raise ImportRejected(message) from None
    names = {entry.filename for entry in entries}
    if not {"[Content_Types].xml", "xl/workbook.xml"} <= names:
        raise ImportRejected(message)
    if sum(entry.file_size for entry in entries) > MAX_UNPACKED_BYTES:
        raise ImportRejected("文件解压后过大，不像是导入模板，请使用下载的模板填写。")


def _cell_text(value: Any, column: ImportColumn) -> tuple[str, str | None]:
    """Return the cell's text and a problem message, or ("", message)."""
    if value is None:
        return "", None
    if isinstance(value, bool):
        return "", f"{column.header}应为文本，不能是“是/否”值。"
    if isinstance(value, (int, float, Decimal)):
        if column.identifier:
            return "", (
                f"{column.header}被 Excel 存成了数字，可能已丢失位数或开头的 0。"
                "请将该列设置为文本格式后重新填写。"
            )
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        return str(value), None
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return (
            "",
            f"{column.header}应为文本，不能是日期或时间。请将该列设置为文本格式后重新填写。",
        )
    text = safe_text(value).strip()
    if len(text) > column.max_length:
        return "", f"{column.header}不能超过 {column.max_length} 个字符。"
    return text, None


def _header_map(
    header: Sequence[Any], columns: Sequence[ImportColumn]
) -> dict[str, int]:
    positions: dict[str, int] = {}
    for index, value in enumerate(header):
        name = safe_text(value).strip() if value is not None else ""
        if not name:
            continue
        if name in positions:
            raise ImportRejected(f"表头“{name}”出现了两次，请使用下载的导入模板。")
        positions[name] = index
    missing = [column.header for column in columns if column.header not in positions]
    if missing:
        raise ImportRejected(
            f"第 {HEADER_ROW} 行缺少列：{'、'.join(missing)}。请使用下载的导入模板，不要修改表头。"
        )
    return positions


def read_rows(data: bytes, columns: Sequence[ImportColumn], max_rows: int) -> SheetRows:
    """Read the first sheet of a checked .xlsx file into text rows.

    Row 1 is the header; columns are found by header text, in any order, and
    other columns are ignored. Blank rows are skipped. Raises ImportRejected
    for a missing header, no data rows or more than `max_rows` rows.
    """
    check_xlsx(data)
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except _LOAD_ERRORS as error:
        log.info("import file could not be opened: %s", error)
        raise ImportRejected(
            "文件无法打开，可能已损坏。请使用下载的导入模板重新填写。"
        ) from None

    try:
        return _read_sheet(workbook.worksheets[0], columns, max_rows)
    except ImportRejected:
        raise
    except (*_LOAD_ERRORS, IndexError) as error:
        log.info("import file could not be read: %s", error)
        raise ImportRejected(
            "文件内容无法读取，可能已损坏。请使用下载的导入模板重新填写。"
        ) from None
    finally:
        workbook.close()


def _read_sheet(worksheet, columns: Sequence[ImportColumn], max_rows: int) -> SheetRows:
    lines = worksheet.iter_rows(values_only=True)
    header = next(lines, None)
    if header is None:
        raise ImportRejected("文件中没有数据。请使用下载的导入模板填写。")
    positions = _header_map(header, columns)

    result = SheetRows()
    for row_number, values in enumerate(lines, start=HEADER_ROW + 1):
        cells = [
            values[positions[column.header]]
            if positions[column.header] < len(values)
            else None
            for column in columns
        ]
        if all(
            value is None or (isinstance(value, str) and not value.strip())
            for value in cells
        ):
            continue
        if len(result.rows) >= max_rows:
            raise ImportRejected(
                f"数据超过 {max_rows} 行，请拆分为多个文件后分别导入。"
            )
        texts: dict[str, str] = {}
        for column, value in zip(columns, cells, strict=True):
            text, problem = _cell_text(value, column)
            if problem:
                result.problems.append(RowProblem(row_number, column.header, problem))
            elif column.required and not text:
                result.problems.append(
                    RowProblem(row_number, column.header, f"请填写{column.header}。")
                )
            texts[column.header] = text
        result.rows.append((row_number, texts))
    if not result.rows:
        raise ImportRejected("文件中没有数据行：第 1 行是表头，数据从第 2 行开始填写。")
    return result


def build_template(
    columns: Sequence[ImportColumn], notes: Sequence[str], max_rows: int
) -> bytes:
    """Build an import template: the header, text-formatted columns and a help sheet.

    Every column is formatted as text ("@"), so Excel keeps what is typed,
    leading zeros and all 18 digits included. Columns with choices get a
    drop-down list for the rows an import may have.
    """
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = DATA_SHEET_TITLE
    bold = Font(bold=True)
    last_row = HEADER_ROW + max_rows
    for index, column in enumerate(columns, start=1):
        letter = get_column_letter(index)
        dimension = sheet.column_dimensions[letter]
        dimension.width = column.width
        dimension.number_format = TEXT_FORMAT
        cell = sheet.cell(row=HEADER_ROW, column=index, value=column.header)
        cell.font = bold
        cell.number_format = TEXT_FORMAT
        if column.choices:
            validation = DataValidation(
                type="list",
                formula1='"' + ",".join(column.choices) + '"',
                allow_blank=not column.required,
                showErrorMessage=True,
                errorTitle="取值无效",
                error=f"{column.header}只能从列表中选择。",
            )
            validation.add(f"{letter}{HEADER_ROW + 1}:{letter}{last_row}")
            sheet.add_data_validation(validation)
    sheet.freeze_panes = f"A{HEADER_ROW + 1}"

    help_sheet = workbook.create_sheet(HELP_SHEET_TITLE)
    help_sheet.column_dimensions["A"].width = 16
    help_sheet.column_dimensions["B"].width = 10
    help_sheet.column_dimensions["C"].width = 90
    help_sheet.append(["列", "是否必填", "填写要求"])
    for cell in help_sheet[1]:
        cell.font = bold
    for column in columns:
        help_sheet.append(
            [column.header, "必填" if column.required else "选填", column.note]
        )
    help_sheet.append([])
    for note in notes:
        help_sheet.append([note])

    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
