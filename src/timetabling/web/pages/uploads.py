"""CSV and Excel uploads of academic data: one table per kind, a downloadable template for each, every bad
row reported with its row number, column and reason, and nothing of an upload stored unless all of it is good.

Rows are matched by ``code``: a known code updates that record, a new one creates it.

Longer than 400 lines on purpose: one table description per kind of record, side by side; the shared reading
code is short.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import transaction
from django.db.models import CharField
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font

from timetabling.web.academics import models as am
from timetabling.web.academics.instance import RecordProblem, check_instance

MAX_ERRORS = 20  # a whole file of bad rows: the first ones say enough
MAX_BYTES = 10 * 2**20
MAX_ROWS = 50_000  # the reference university has 19,693 students


class RowError(ValueError):
    """A cell that cannot be stored; the message is the reason, for people."""


@dataclass(frozen=True)
class Problem:
    row: int  # as a spreadsheet numbers it: the header is row 1
    column: str
    reason: str

    def __str__(self) -> str:
        return f"row {self.row}, column '{self.column}': {self.reason}"


class UploadRejected(Exception):
    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(str(p) for p in problems))
        self.problems = problems


# ------------------------------------------------------------------------------------------ cell parsers

Parser = Callable[[str, am.Organization], Any]


def text(value: str, org: am.Organization) -> str:
    return value


MAX_WHOLE = 2**31 - 1  # the largest value every database's integer columns hold
_WHOLE = re.compile(r"\+?0*([0-9]{1,10})(\.0*)?", re.ASCII)  # 3, +3, 3.0 (Excel's way): digits, no exponent


def positive_int(value: str, org: am.Organization) -> int:
    match = _WHOLE.fullmatch(value)
    if match is None:  # nan, inf, 1e400, 3.5, -1, 0x10, ², 99999999999
        too_long = re.fullmatch(r"\+?[0-9]{11,}(\.0*)?", value, re.ASCII)
        negative = re.fullmatch(r"-[0-9]+(\.0*)?", value, re.ASCII)
        reason = (f"is too large (at most {MAX_WHOLE})" if too_long
                  else "is not a whole number of 1 or more" if negative else "is not a whole number")
        raise RowError(f"'{value[:40]}' {reason}")
    number = int(match[1])
    if number < 1:
        raise RowError(f"'{value}' is not a whole number of 1 or more")
    if number > MAX_WHOLE:
        raise RowError(f"'{value}' is too large (at most {MAX_WHOLE})")
    return number


def yes_no(value: str, org: am.Organization) -> bool:
    lowered = value.lower()
    if lowered in ("yes", "y", "true", "1"):
        return True
    if lowered in ("no", "n", "false", "0"):
        return False
    raise RowError(f"'{value}' is not yes or no")


def choice(options: Iterable[str]) -> Parser:
    allowed = tuple(options)

    def parse(value: str, org: am.Organization) -> str:
        if value not in allowed:
            raise RowError(f"'{value}' is not one of: {', '.join(allowed)}")
        return value

    return parse


def ref(model: type[am.OrgScoped]) -> Parser:
    """A code of an existing record of the organization."""

    def parse(value: str, org: am.Organization) -> am.OrgScoped:
        found = model.objects.filter(organization=org, code=value).first()
        if found is None:
            raise RowError(f"no {model._meta.verbose_name} with code '{value}'")
        return found

    return parse


def refs(model: type[am.OrgScoped]) -> Parser:
    """Codes separated by ``;``."""
    one = ref(model)

    def parse(value: str, org: am.Organization) -> list[am.OrgScoped]:
        return [one(code.strip(), org) for code in value.split(";") if code.strip()]

    return parse


def codes(value: str, org: am.Organization) -> list[str]:
    return [v.strip() for v in value.split(";") if v.strip()]


# ------------------------------------------------------------------------------------------ the tables


@dataclass(frozen=True)
class Column:
    name: str
    parse: Parser = text
    required: bool = False
    default: Any = None
    example: str = ""
    field: str | None = None  # the model field; None: the column's name
    many: bool = False  # a many-to-many field, set after the record is saved

    @property
    def target(self) -> str:
        return self.field or self.name


@dataclass(frozen=True)
class Table:
    kind: str  # as in the URL: departments, courses, ...
    model: type[am.OrgScoped]
    columns: tuple[Column, ...]
    title: str = ""
    after_save: Callable[[am.OrgScoped, dict[str, Any]], None] | None = field(default=None)

    @property
    def header(self) -> list[str]:
        return [c.name for c in self.columns]

    def example(self) -> list[str]:
        return [c.example for c in self.columns]


def _code(example: str) -> Column:
    return Column("code", required=True, example=example)


def _student_electives(student: am.OrgScoped, values: dict[str, Any]) -> None:
    if "electives" not in values:
        return
    am.ElectiveChoice.objects.filter(student=student).delete()
    am.ElectiveChoice.objects.bulk_create([am.ElectiveChoice(student=student, course=c) for c in values["electives"]])


TABLES: dict[str, Table] = {t.kind: t for t in (
    Table("departments", am.Department, (
        _code("CSE"), Column("name", example="Computer Science and Engineering"),
        Column("school", ref(am.School), example=""),
    ), "Departments"),
    Table("rooms", am.Room, (
        _code("LH-101"), Column("name", example="Lecture hall 101"),
        Column("capacity", positive_int, required=True, example="60"),
        Column("room_type", example="lecture", default="lecture"),
        Column("building", example="Main block"),
        Column("department", ref(am.Department), example=""),
        Column("shared", yes_no, default=True, example="yes"),
        Column("features", codes, default=list, example="projector"),
    ), "Rooms"),
    Table("faculty", am.Faculty, (
        _code("CSE-F10"), Column("name", example="Dr. A. Rao"),
        Column("department", ref(am.Department), example="CSE"),
        Column("max_hours_per_week", positive_int, default=20, example="20"),
        Column("max_hours_per_day", positive_int, default=6, example="6"),
        Column("max_consecutive", positive_int, default=4, example="4"),
    ), "Faculty"),
    Table("batches", am.Batch, (
        _code("CSE-UG2A"), Column("name", example="B.Tech CSE year 2 section A"),
        Column("department", ref(am.Department), example="CSE"),
        Column("program", ref(am.Program), example=""),
        Column("year", positive_int, default=1, example="2"),
        Column("section", example="A"),
        Column("size", positive_int, default=0, example="60"),
    ), "Batches"),
    Table("courses", am.Course, (
        _code("CS201-A"), Column("name", example="Data Structures"),
        Column("course_code", example="CS201"),
        Column("department", ref(am.Department), example="CSE"),
        Column("kind", choice(am.CourseKind.values), default=am.CourseKind.CORE, example="core"),
        Column("credits", positive_int, default=3, example="3"),
        Column("sessions_per_week", positive_int, default=1, example="3"),
        Column("session_length", positive_int, default=1, example="1"),
        Column("room_type", default="lecture", example="lecture"),
        Column("faculty", refs(am.Faculty), default=list, many=True, example="CSE-F10"),
        Column("batches", refs(am.Batch), default=list, many=True, example="CSE-UG2A"),
    ), "Courses"),
    Table("students", am.Student, (
        _code("22CSE001"), Column("name", example="Asha Verma"),
        Column("batch", ref(am.Batch), example="CSE-UG2A"),
        Column("electives", refs(am.Course), default=list, example="", field="_electives"),
    ), "Students", after_save=_student_electives),
)}
# field "_electives" is set through ElectiveChoice rows, not as a plain field
_SPECIAL = {"_electives": "electives"}


# ------------------------------------------------------------------------------------------ templates


def template_csv(table: Table) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(table.header)
    writer.writerow(table.example())
    return out.getvalue().encode("utf-8")


def template_xlsx(table: Table) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = table.title or table.kind
    sheet.append(table.header)
    sheet.append(table.example())
    for i, name in enumerate(table.header, start=1):
        sheet.cell(row=1, column=i).font = Font(bold=True)
        sheet.column_dimensions[sheet.cell(row=1, column=i).column_letter].width = max(12, len(name) + 4)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# ------------------------------------------------------------------------------------------ reading files


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if not isinstance(value, str | int | float):  # a date, or an array formula (its ``text`` is the formula)
        value = getattr(value, "text", None) or value
    return str(value).strip()


def _too_many_rows() -> UploadRejected:
    return UploadRejected([Problem(MAX_ROWS + 1, "file", f"the file has more than {MAX_ROWS} rows; split it")])


def _xlsx_rows(data: bytes) -> list[list[str]]:
    # formulas are read as written (``=A2*2``), not as a value Excel may have cached: they are refused
    book = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    if not book.worksheets:
        raise UploadRejected([Problem(1, "file", "the Excel file has no worksheet")])
    rows = []
    for row in book.worksheets[0].iter_rows(values_only=True):
        if len(rows) > MAX_ROWS:
            raise _too_many_rows()
        rows.append([_cell_text(v) for v in row])
    return rows


def read_rows(filename: str, data: bytes) -> list[list[str]]:
    """The file's rows as text, header first; CSV (UTF-8, a BOM allowed) or Excel (.xlsx, the first sheet)."""
    if len(data) > MAX_BYTES:
        raise UploadRejected([Problem(1, "file", f"the file is larger than {MAX_BYTES // 2**20} MiB")])
    name = filename.lower()
    if name.endswith(".xlsx"):
        try:
            return _xlsx_rows(data)
        except UploadRejected:
            raise
        except Exception as err:  # openpyxl raises many kinds for a damaged file, some only while reading rows
            raise UploadRejected([Problem(1, "file", f"not a readable Excel file ({type(err).__name__})")]) from None
    if name.endswith(".csv"):
        try:
            content = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise UploadRejected([Problem(1, "file", "the CSV file is not UTF-8 text")]) from None
        rows = []
        reader = csv.reader(io.StringIO(content))
        try:
            for row in reader:
                if len(rows) > MAX_ROWS:
                    raise _too_many_rows()
                rows.append([c.strip() for c in row])
        except csv.Error as err:  # a NUL byte, a cell longer than the csv module takes
            raise UploadRejected([Problem(reader.line_num, "file", f"not a readable CSV file ({err})")]) from None
        return rows
    raise UploadRejected([Problem(1, "file", "upload a .csv or .xlsx file")])


# ------------------------------------------------------------------------------------------ storing


def _check_header(table: Table, header: list[str]) -> dict[str, int]:
    names = [h.strip().lower() for h in header]
    problems = []
    unknown = [h for h in names if h and h not in table.header]
    if unknown:
        problems.append(Problem(1, unknown[0], f"unknown column (expected: {', '.join(table.header)})"))
    for column in table.columns:
        if column.required and column.name not in names:
            problems.append(Problem(1, column.name, "required column is missing"))
    if problems:
        raise UploadRejected(problems)
    return {name: i for i, name in enumerate(names) if name}


def _empty_value(table: Table, column: Column) -> Any:
    """What an empty cell stores: the column's default; for text that may not be null, empty text."""
    default = column.default() if callable(column.default) else column.default
    if default is None:
        try:
            field = table.model._meta.get_field(column.target)
        except FieldDoesNotExist:
            return None
        if isinstance(field, CharField) and not field.null:
            return ""
    return default


def _refused_text(raw: str) -> str | None:
    """Why a cell's text cannot be stored as it is, whatever its column; None when it can."""
    if "\x00" in raw:
        return "text may not contain NUL characters"
    if raw.startswith("="):
        return f"a formula ('{raw[:40]}') is not a value: type the value itself"
    return None


def _parse_row(table: Table, org: am.Organization, row_no: int, row: list[str], where: dict[str, int],
               problems: list[Problem]) -> dict[str, Any] | None:
    values: dict[str, Any] = {}
    ok = True
    for column in table.columns:
        if column.name not in where:
            continue
        raw = row[where[column.name]] if where[column.name] < len(row) else ""
        refused = _refused_text(raw)
        if refused:
            problems.append(Problem(row_no, column.name, refused))
            ok = False
            continue
        if raw == "":
            if column.required:
                problems.append(Problem(row_no, column.name, "a value is required"))
                ok = False
                continue
            values[column.target] = _empty_value(table, column)
            continue
        try:
            values[column.target] = column.parse(raw, org)
        except RowError as err:
            problems.append(Problem(row_no, column.name, str(err)))
            ok = False
    return values if ok else None


def store_upload(org: am.Organization, table: Table, rows: list[list[str]]) -> dict[str, int]:
    """Create or update one record per row, all or nothing. Returns ``{"created": n, "updated": m}``; raises
    ``UploadRejected`` with every problem found (up to ``MAX_ERRORS``) and then nothing is stored."""
    rows = [r for r in rows if any(c for c in r)]
    if not rows:
        raise UploadRejected([Problem(1, "file", "the file is empty")])
    where = _check_header(table, rows[0])
    if len(rows) == 1:
        raise UploadRejected([Problem(2, "file", "the file has a header but no rows")])
    problems: list[Problem] = []
    created = updated = 0
    seen: dict[str, int] = {}
    with transaction.atomic():
        for row_no, row in enumerate(rows[1:], start=2):
            values = _parse_row(table, org, row_no, row, where, problems)
            if values is not None:
                code = values["code"]
                if code in seen:
                    problems.append(Problem(row_no, "code", f"code '{code}' is also on row {seen[code]}"))
                    values = None
                else:
                    seen[code] = row_no
            if len(problems) >= MAX_ERRORS:
                break
            if values is None or problems:
                continue  # keep reading to report every problem; nothing will be stored
            try:
                is_new = _save(org, table, values)
            except ValidationError as err:
                for name, messages in err.message_dict.items():
                    problems.append(Problem(row_no, name, " ".join(messages)))
                continue
            created += is_new
            updated += not is_new
        if not problems:  # every row can be stored: can the engine use what the organization now has?
            problems = engine_problems(org, table, seen)
        if problems:
            transaction.set_rollback(True)
    if problems:
        raise UploadRejected(problems[:MAX_ERRORS])
    return {"created": created, "updated": updated}


# the engine's names of the upload columns, where they differ
_ENGINE_FIELDS = {"id": "code", "type": "room_type", "code": "course_code", "courses": "electives"}


def engine_problems(org: am.Organization, table: Table, row_of_code: dict[str, int]) -> list[Problem]:
    """What the engine's model rules (those of ``timetable check-instance``) refuse in the uploaded records,
    run on the organization's data with the upload in it (not yet committed)."""
    _, problems = check_instance(org)
    out = []
    for problem in problems:
        if not (isinstance(problem, RecordProblem) and problem.kind == table.kind and problem.code in row_of_code):
            continue  # another record's problem: the upload did not make it, generation reports it
        top = re.split(r"[.\[]", problem.field, maxsplit=1)[0]
        column = _ENGINE_FIELDS.get(top, top) if top else "code"
        out.append(Problem(row_of_code[problem.code], column, problem.reason))
    return sorted(out, key=lambda p: p.row)[:MAX_ERRORS]


def _save(org: am.Organization, table: Table, values: dict[str, Any]) -> bool:
    many = {c.target: values.pop(c.target) for c in table.columns if c.many and c.target in values}
    special = {_SPECIAL[k]: values.pop(k) for k in list(values) if k in _SPECIAL}
    obj = table.model.objects.filter(organization=org, code=values["code"]).first()
    is_new = obj is None
    if is_new:
        obj = table.model(organization=org)
    for name, value in values.items():
        setattr(obj, name, value)
    obj.full_clean(exclude=[f.name for f in table.model._meta.fields if f.name not in values], validate_unique=False)
    obj.save()
    for name, value in many.items():
        getattr(obj, name).set(value)
    if table.after_save is not None:
        table.after_save(obj, special)
    return is_new
