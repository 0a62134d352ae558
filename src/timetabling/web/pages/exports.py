"""One person's (batch's, room's) week as a file: PDF, iCalendar, Excel or CSV, each built from ``WeekGrid``;
a whole department's sessions as CSV or Excel, written as the slot rows stream from the database."""

from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Iterable, Iterator
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from fpdf import FPDF
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill

from timetabling.engine.export.csv import _cell as spreadsheet_safe
from timetabling.web.pages.grids import Session, WeekGrid
from timetabling.web.streaming import Echo

FORMATS = {
    "pdf": "application/pdf",
    "ics": "text/calendar; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
}
CSV_COLUMNS = ("day", "start", "end", "course", "name", "session", "faculty", "room", "batches")


def session_rows(week: WeekGrid) -> list[dict[str, str | int]]:
    return [
        {"day": week.days[s.day] if s.day < len(week.days) else str(s.day), "start": s.start.strftime("%H:%M"),
         "end": s.end.strftime("%H:%M"), "course": s.course_code, "name": s.course_name, "session": s.session + 1,
         "faculty": ";".join(s.faculty), "room": s.room, "batches": ";".join(s.batches)}
        for s in sorted(week.sessions, key=lambda s: (s.day, s.period, s.course_code))
    ]


def to_csv(week: WeekGrid) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS)
    writer.writeheader()
    writer.writerows({k: spreadsheet_safe(v) for k, v in row.items()} for row in session_rows(week))
    return out.getvalue().encode("utf-8")


def _cell_text(session: Session, is_start: bool) -> str:
    lines = [session.course_code + ("" if is_start else " (cont.)"), ", ".join(session.faculty), session.room]
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


def _latin1(text: str) -> str:
    # the PDF core fonts cover Latin-1; anything else becomes '?' rather than failing the download
    return text.encode("latin-1", "replace").decode("latin-1")


def to_pdf(week: WeekGrid, title: str, subtitle: str = "") -> bytes:
    pdf = FPDF(orientation="landscape", unit="mm", format="A4")
    pdf.set_title(_latin1(title))
    pdf.set_creator("timetabling")
    pdf.set_auto_page_break(auto=True, margin=10)
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 14)
    pdf.cell(0, 8, _latin1(title), new_x="LMARGIN", new_y="NEXT")
    if subtitle:
        pdf.set_font("Helvetica", "", 9)
        pdf.cell(0, 5, _latin1(subtitle), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    pdf.set_font("Helvetica", "", 7)
    first = 24
    widths = (first, *[(pdf.epw - first) / max(1, len(week.days))] * len(week.days))
    with pdf.table(col_widths=widths, text_align="LEFT", line_height=3.2, first_row_as_headings=True) as table:
        header = table.row()
        header.cell("Period")
        for day in week.days:
            header.cell(_latin1(day))
        for row in week.rows:
            line = table.row()
            if row.break_name:
                line.cell(_latin1(f"{row.break_name}\n{row.start}-{row.end}"), colspan=len(week.days) + 1,
                          align="CENTER")
                continue
            line.cell(_latin1(f"{row.label}\n{row.start}-{row.end}"))
            for cells in row.cells:
                line.cell(_latin1("\n".join(_cell_text(c.session, c.is_start) for c in cells)))
    return bytes(pdf.output())


# ------------------------------------------------------------------------------------------ iCalendar

BYDAY = {"mo": "MO", "tu": "TU", "we": "WE", "th": "TH", "fr": "FR", "sa": "SA", "su": "SU"}


def _weekday(day_name: str, index: int) -> int:
    """0 = Monday. Day names such as Mon or Monday are read; otherwise the grid's first day is Monday."""
    key = day_name.strip().lower()[:2]
    return list(BYDAY).index(key) if key in BYDAY else index % 7


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def _fold(line: str) -> str:
    """RFC 5545: lines longer than 75 octets continue on the next line after a space."""
    data = line.encode("utf-8")
    if len(data) <= 75:
        return line
    parts, start, limit = [], 0, 75
    while start < len(data):
        end = min(start + limit, len(data))
        while end < len(data) and (data[end] & 0xC0) == 0x80:  # never split a UTF-8 character
            end -= 1
        parts.append(data[start:end].decode("utf-8"))
        start, limit = end, 74
    return "\r\n ".join(parts)


def _offset(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    return f"{sign}{abs(minutes) // 60:02d}{abs(minutes) % 60:02d}"


def to_ics(week: WeekGrid, title: str, uid_prefix: str, first_week: date, weeks: int, tz_name: str,
           stamp: datetime) -> bytes:
    """One VEVENT per session, repeating weekly ``weeks`` times from the week of ``first_week``."""
    zone = ZoneInfo(tz_name)
    monday = first_week - timedelta(days=first_week.weekday())
    offset = _offset(datetime.combine(monday, datetime.min.time(), zone).utcoffset() or timedelta())
    lines = [
        "BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//timetabling//timetable export//EN", "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH", f"X-WR-CALNAME:{_escape(title)}", f"X-WR-TIMEZONE:{tz_name}",
        "BEGIN:VTIMEZONE", f"TZID:{tz_name}", "BEGIN:STANDARD", "DTSTART:19700101T000000",
        f"TZOFFSETFROM:{offset}", f"TZOFFSETTO:{offset}", "END:STANDARD", "END:VTIMEZONE",
    ]
    dtstamp = stamp.astimezone(ZoneInfo("UTC")).strftime("%Y%m%dT%H%M%SZ")
    for s in sorted(week.sessions, key=lambda s: (s.day, s.period, s.course_code)):
        day_name = week.days[s.day] if s.day < len(week.days) else ""
        weekday = _weekday(day_name, s.day)
        on = monday + timedelta(days=weekday)
        start = datetime.combine(on, s.start)
        end = datetime.combine(on, s.end)
        description = "\n".join(x for x in (
            s.course_name, f"Faculty: {', '.join(s.faculty)}" if s.faculty else "",
            f"Batches: {', '.join(s.batches)}" if s.batches else "") if x)
        lines += [
            "BEGIN:VEVENT",
            f"UID:{uid_prefix}-{s.course_code}-{s.session}-{s.day}-{s.period}@timetabling",
            f"DTSTAMP:{dtstamp}",
            f"DTSTART;TZID={tz_name}:{start:%Y%m%dT%H%M%S}",
            f"DTEND;TZID={tz_name}:{end:%Y%m%dT%H%M%S}",
            f"RRULE:FREQ=WEEKLY;BYDAY={list(BYDAY.values())[weekday]};COUNT={weeks}",
            f"SUMMARY:{_escape(s.title)}",
        ]
        if s.room:
            lines.append(f"LOCATION:{_escape(s.room)}")
        if description:
            lines.append(f"DESCRIPTION:{_escape(description)}")
        lines.append("END:VEVENT")
    lines.append("END:VCALENDAR")
    return ("\r\n".join(_fold(line) for line in lines) + "\r\n").encode("utf-8")


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
                "end": s.end_time.strftime("%H:%M"), "course": s.course.course_code or s.course.code,
                "name": s.course.name, "session": s.session + 1, "faculty": [],
                "room": s.room.code if s.room else "", "batches": [],
            }
        for field, who in (("faculty", s.faculty), ("batches", s.batch)):
            if who is not None and who.code not in current[field]:
                current[field].append(who.code)
    if current is not None:
        yield _joined(current)


def _joined(row: dict[str, Any]) -> dict[str, str | int]:
    return {**row, "faculty": ";".join(row["faculty"]), "batches": ";".join(row["batches"])}


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
