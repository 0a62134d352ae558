"""One person's (batch's, room's) week as a file: PDF, iCalendar, Excel or CSV, each built from ``WeekGrid``;
a whole department's sessions as CSV or Excel, written as the slot rows stream from the database."""

from __future__ import annotations

import csv
import io
import re
import tempfile
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from importlib.resources import as_file, files
from typing import Any
from zoneinfo import ZoneInfo

from fpdf import FPDF
from fpdf.fonts import FontFace
from icalendar import Calendar, Event
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill

from timetabling.engine.export.csv import spreadsheet_safe
from timetabling.web.pages.grids import Session, WeekGrid
from timetabling.web.streaming import Echo

FORMATS = {
    "pdf": "application/pdf",
    "ics": "text/calendar; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
}
# names first, as people read them; the codes beside them for those who sort and match by code
CSV_COLUMNS = ("day", "start", "end", "course", "course_code", "session", "faculty", "faculty_codes", "room",
               "room_code", "batches")


def session_rows(week: WeekGrid) -> list[dict[str, str | int]]:
    return [
        {"day": week.days[s.day] if s.day < len(week.days) else str(s.day), "start": s.start.strftime("%H:%M"),
         "end": s.end.strftime("%H:%M"), "course": s.course_name or s.course_code, "course_code": s.course_code,
         "session": s.session + 1, "faculty": ";".join(s.faculty_names or s.faculty),
         "faculty_codes": ";".join(s.faculty), "room": s.room_name or s.room, "room_code": s.room,
         "batches": ";".join(s.batches)}
        for s in sorted(week.sessions, key=lambda s: (s.day, s.period, s.course_code))
    ]


def to_csv(week: WeekGrid) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS)
    writer.writeheader()
    writer.writerows({k: spreadsheet_safe(v) for k, v in row.items()} for row in session_rows(week))
    return out.getvalue().encode("utf-8")


def _cell_text(session: Session, is_start: bool) -> str:
    """A session in a week cell: course code and name, the faculty's and the room's names."""
    name = session.course_name if session.course_name != session.course_code else ""
    lines = [session.course_code + ("" if is_start else " (cont.)"), name,
             ", ".join(session.faculty_names or session.faculty), session.room_name or session.room]
    return "\n".join(x for x in lines if x)


def to_xlsx(week: WeekGrid, title: str) -> bytes:
    book = Workbook()
    grid = book.active
    grid.title = "Week"
    grid.append([title])
    grid["A1"].font = Font(bold=True, size=14)
    grid.append(["Period", *week.days])
    for c in range(1, len(week.days) + 2):
        grid.cell(row=2, column=c).font = Font(bold=True)
    for row in week.rows:
        if row.break_name:
            grid.append([f"{row.break_name} {row.start}-{row.end}"])
            grid.cell(row=grid.max_row, column=1).fill = PatternFill("solid", fgColor="EEEEEE")
            continue
        grid.append([f"{row.label} {row.start}-{row.end}",
                     *[spreadsheet_safe("\n\n".join(_cell_text(c.session, c.is_start) for c in cells))
                       for cells in row.cells]])
        for c in range(1, len(week.days) + 2):
            grid.cell(row=grid.max_row, column=c).alignment = Alignment(wrap_text=True, vertical="top")
    grid.column_dimensions["A"].width = 16
    for c in range(2, len(week.days) + 2):
        grid.column_dimensions[grid.cell(row=2, column=c).column_letter].width = 22
    sessions = book.create_sheet("Sessions")
    sessions.append(list(CSV_COLUMNS))
    for r in session_rows(week):
        sessions.append([spreadsheet_safe(r[k]) for k in CSV_COLUMNS])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


FONTS = files("timetabling") / "data" / "fonts"
FONT, FALLBACK = "NotoSans", "NotoSansDevanagari"  # Latin, Greek, Cyrillic; then Devanagari


def _pdf(devanagari: bool = True) -> FPDF:
    """An A4 landscape PDF with the packaged Unicode fonts: names in any of their scripts print. Without
    ``devanagari`` (no text of the PDF needs it) the fallback font is left out: embedding a font costs more
    time than drawing the week."""
    pdf = FPDF(orientation="landscape", unit="mm", format="A4")
    for family in (FONT, FALLBACK) if devanagari else (FONT,):
        with as_file(FONTS / f"{family}-Regular.ttf") as path:
            pdf.add_font(family, "", str(path))
    if devanagari:
        pdf.set_fallback_fonts([FALLBACK])
    return pdf


_DEVANAGARI = re.compile("[\u0900-\u097f\ua8e0-\ua8ff\u1cd0-\u1cff]")


def _needs_devanagari(*texts: str, weeks: Iterable[WeekGrid] = ()) -> bool:
    words = [*texts]
    for week in weeks:
        for s in week.sessions:
            words += [s.course_code, s.course_name, s.room_name, s.room, *s.faculty_names, *s.faculty]
        words += [*week.days, *(r.label for r in week.rows)]
    return any(_DEVANAGARI.search(w or "") for w in words)


CELL_PT, SMALLEST_PT = 7, 4.5  # a week cell's font size; the least a cell shrinks to so a long code stays whole


def _fitting_size(pdf: FPDF, text: str, width: float) -> float:
    """The font size (at most ``CELL_PT``) at which the cell's longest word fits on one line: fpdf2 wraps on
    spaces and breaks a word only when it is wider than the cell, so a code never breaks in two."""
    longest = max((w for w in text.split()), key=lambda w: pdf.get_string_width(w), default="")
    size = CELL_PT
    while size > SMALLEST_PT and pdf.get_string_width(longest) * size / CELL_PT > width:
        size -= 0.5
    return size


def _week_page(pdf: FPDF, week: WeekGrid, title: str, subtitle: str = "") -> None:
    """One page (more if the week is long): the title, the subtitle and the week as a table."""
    pdf.add_page()
    pdf.start_section(title)
    pdf.set_font(FONT, "", 14)
    pdf.cell(0, 8, title, new_x="LMARGIN", new_y="NEXT")
    if subtitle:
        pdf.set_font(FONT, "", 9)
        pdf.cell(0, 5, subtitle, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    pdf.set_font(FONT, "", CELL_PT)
    first = 24
    day_width = (pdf.epw - first) / max(1, len(week.days))
    widths = (first, *[day_width] * len(week.days))
    inner = day_width - 2 * pdf.c_margin - 1
    # headings shaded, not bold: the packaged font has one weight
    with pdf.table(col_widths=widths, text_align="LEFT", line_height=3.2, first_row_as_headings=True,
                   headings_style=FontFace(fill_color=(238, 241, 245))) as table:
        header = table.row()
        header.cell("Period")
        for day in week.days:
            header.cell(day)
        for row in week.rows:
            line = table.row()
            if row.break_name:
                line.cell(f"{row.break_name}\n{row.start}-{row.end}", colspan=len(week.days) + 1, align="CENTER")
                continue
            line.cell(f"{row.label}\n{row.start}-{row.end}")
            for cells in row.cells:
                text = "\n".join(_cell_text(c.session, c.is_start) for c in cells)
                size = _fitting_size(pdf, text, inner)
                line.cell(text, style=FontFace(size_pt=size) if size < CELL_PT else None)


def to_pdf(week: WeekGrid, title: str, subtitle: str = "") -> bytes:
    pdf = _pdf(_needs_devanagari(title, subtitle, weeks=[week]))
    pdf.set_title(title)
    pdf.set_creator("timetabling")
    pdf.set_auto_page_break(auto=True, margin=10)
    _week_page(pdf, week, title, subtitle)
    return bytes(pdf.output())


@dataclass(frozen=True)
class OwnerWeek:
    """One batch's, faculty member's or room's week, with the title its page has."""

    title: str
    week: WeekGrid


def to_booklet(title: str, subtitle: str, parts: list[tuple[str, list[OwnerWeek]]]) -> bytes:
    """One PDF: a cover (the title, the subtitle and the contents), then a page per owner, part by part
    (batches, faculty, rooms), each page in the PDF's outline."""
    pdf = _pdf(_needs_devanagari(title, subtitle, *(o.title for _, owners in parts for o in owners),
                                 weeks=(o.week for _, owners in parts for o in owners)))
    pdf.set_title(title)
    pdf.set_creator("timetabling")
    pdf.set_auto_page_break(auto=True, margin=10)
    pdf.add_page()
    pdf.set_font(FONT, "", 22)
    pdf.ln(30)
    pdf.multi_cell(0, 11, title, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, "", 12)
    pdf.multi_cell(0, 7, subtitle, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(6)
    pdf.set_font(FONT, "", 10)
    for heading, owners in parts:
        names = ", ".join(o.title for o in owners) if owners else "none"
        pdf.multi_cell(0, 5.5, f"{heading} ({len(owners)}): {names}", new_x="LMARGIN", new_y="NEXT")
        pdf.ln(1.5)
    for _, owners in parts:
        for owner in owners:
            _week_page(pdf, owner.week, owner.title, subtitle)
    return bytes(pdf.output())


class _Sink(io.RawIOBase):
    """A file that keeps what is written until it is taken: ``zipfile`` writes into it, the response sends it."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[bytes] = []

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        self.parts.append(bytes(data))
        return len(data)

    def take(self) -> bytes:
        out = b"".join(self.parts)
        self.parts.clear()
        return out


def zip_stream(files: Iterable[tuple[str, bytes]]) -> Iterator[bytes]:
    """A ZIP of the named files, sent a file at a time as each is made (the download starts at once, however
    many PDFs it holds)."""
    sink = _Sink()
    with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, body in files:
            archive.writestr(name, body)
            yield sink.take()
    yield sink.take()  # the central directory


# ------------------------------------------------------------------------------------------ iCalendar

BYDAY = {"mo": "MO", "tu": "TU", "we": "WE", "th": "TH", "fr": "FR", "sa": "SA", "su": "SU"}


def _weekday(day_name: str, index: int) -> int:
    """0 = Monday. Day names such as Mon or Monday are read; otherwise the grid's first day is Monday."""
    key = day_name.strip().lower()[:2]
    return list(BYDAY).index(key) if key in BYDAY else index % 7


@dataclass(frozen=True)
class TermDates:
    """The days a calendar covers: the term's first and last day, and its holidays (no sessions on them)."""

    start: date
    end: date
    holidays: frozenset[date] = frozenset()

    @classmethod
    def weeks_from(cls, first_week: date, weeks: int) -> TermDates:
        """``weeks`` whole weeks from the Monday of ``first_week`` (when no term is known)."""
        monday = first_week - timedelta(days=first_week.weekday())
        return cls(monday, monday + timedelta(days=7 * weeks - 1))


def to_ics(week: WeekGrid, title: str, uid_prefix: str, term: TermDates, tz_name: str, stamp: datetime) -> bytes:
    """One event per session, repeating weekly on its day from the term's start to its end, holidays
    excluded, at the clock times of ``tz_name`` (its VTIMEZONE included, so daylight saving is followed)."""
    zone = ZoneInfo(tz_name)
    calendar = Calendar()
    for key, value in (("prodid", "-//timetabling//timetable export//EN"), ("version", "2.0"),
                       ("calscale", "GREGORIAN"), ("method", "PUBLISH"), ("x-wr-calname", title),
                       ("x-wr-timezone", tz_name)):
        calendar.add(key, value)
    until = datetime.combine(term.end, time(23, 59, 59), zone).astimezone(UTC)
    for s in sorted(week.sessions, key=lambda s: (s.day, s.period, s.course_code)):
        weekday = _weekday(week.days[s.day] if s.day < len(week.days) else "", s.day)
        first = term.start + timedelta(days=(weekday - term.start.weekday()) % 7)
        if first > term.end:
            continue
        event = Event()
        event.add("uid", f"{uid_prefix}-{s.course_code}-{s.session}-{s.day}-{s.period}@timetabling")
        event.add("dtstamp", stamp.astimezone(UTC))
        event.add("dtstart", datetime.combine(first, s.start, zone))
        event.add("dtend", datetime.combine(first, s.end, zone))
        event.add("rrule", {"freq": "weekly", "byday": list(BYDAY.values())[weekday], "until": until})
        skipped = sorted(d for d in term.holidays if first <= d <= term.end and d.weekday() == weekday)
        if skipped:
            event.add("exdate", [datetime.combine(d, s.start, zone) for d in skipped])
        event.add("summary", s.title)
        if s.room:
            event.add("location", s.room_name or s.room)
        description = "\n".join(x for x in (
            s.course_name, f"Faculty: {', '.join(s.faculty_names or s.faculty)}" if s.faculty else "",
            f"Batches: {', '.join(s.batches)}" if s.batches else "") if x)
        if description:
            event.add("description", description)
        calendar.add_component(event)
    calendar.add_missing_timezones()
    return calendar.to_ical()


# ------------------------------------------------------------------------------ a whole department, streamed


def merged_sessions(slots: Iterable[Any], days: list[str]) -> Iterator[dict[str, str | int]]:
    """Slot rows ordered by day, period, course and session, merged into one row per session as they come."""
    current: dict[str, Any] | None = None
    key = None
    for s in slots:
        here = (s.day, s.period, s.course_id, s.session)
        if here != key:
            if current is not None:
                yield _joined(current)
            key = here
            current = {
                "day": days[s.day] if s.day < len(days) else str(s.day), "start": s.start_time.strftime("%H:%M"),
                "end": s.end_time.strftime("%H:%M"), "course": s.course.name or s.course.course_code or s.course.code,
                "course_code": s.course.course_code or s.course.code, "session": s.session + 1, "faculty": [],
                "faculty_codes": [], "room": (s.room.name or s.room.code) if s.room else "",
                "room_code": s.room.code if s.room else "", "batches": [],
            }
        if s.faculty is not None and s.faculty.code not in current["faculty_codes"]:
            current["faculty_codes"].append(s.faculty.code)
            current["faculty"].append(s.faculty.name or s.faculty.code)
        if s.batch is not None and s.batch.code not in current["batches"]:
            current["batches"].append(s.batch.code)
    if current is not None:
        yield _joined(current)


def _joined(row: dict[str, Any]) -> dict[str, str | int]:
    return {**row, "faculty": ";".join(row["faculty"]), "faculty_codes": ";".join(row["faculty_codes"]),
            "batches": ";".join(row["batches"])}


def csv_stream(rows: Iterable[dict[str, str | int]], chunk_rows: int = 500) -> Iterator[str]:
    """CSV text a chunk of rows at a time, never the whole file in memory."""
    writer = csv.DictWriter(Echo(), fieldnames=CSV_COLUMNS)
    lines = [writer.writeheader()]
    for row in rows:
        lines.append(writer.writerow({k: spreadsheet_safe(v) for k, v in row.items()}))
        if len(lines) >= chunk_rows:
            yield "".join(lines)
            lines = []
    yield "".join(lines)


def xlsx_file(rows: Iterable[dict[str, str | int]], title: str) -> Any:
    """An Excel file of the rows, written row by row (openpyxl's write-only mode) to a temporary file, which
    the response then streams."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet("Sessions")
    sheet.append([title])
    sheet.append(list(CSV_COLUMNS))
    for row in rows:
        sheet.append([spreadsheet_safe(row[k]) for k in CSV_COLUMNS])
    out = tempfile.TemporaryFile()  # noqa: SIM115 (the response closes it once sent)
    book.save(out)
    out.seek(0)
    return out
