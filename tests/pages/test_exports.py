"""The export files from a hand-made week: iCalendar details, PDF text, spreadsheet safety."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from tests.pages.support import pdf_text
from timetabling.engine.model import TimeGrid
from timetabling.web.pages.exports import _fold, to_csv, to_ics, to_pdf
from timetabling.web.pages.grids import Session, week_grid

GRID = TimeGrid.standard(n_days=6, n_periods=4, lunch_after=1)  # Mon..Sat


def lab_on_saturday() -> Session:
    return Session(course_code="CS2L", course_name="Networks lab, part 1", session=1, day=5, period=2, length=2,
                   start=time(13, 0), end=time(15, 0), faculty=["F1", "F2"], batches=["B1"], room="LAB-1",
                   engine_id="CS2L-A")


def ics_of(*sessions: Session) -> str:
    week = week_grid(GRID, list(sessions))
    body = to_ics(week, "Faculty F1", "t1", date(2027, 1, 6), 12, "Asia/Kolkata",
                  datetime(2026, 11, 25, 9, 0, tzinfo=ZoneInfo("UTC")))
    return body.decode()


def test_a_session_repeats_weekly_on_its_day_from_the_first_week() -> None:
    ics = ics_of(lab_on_saturday())
    # 2027-01-06 is a Wednesday: its week starts on Monday 4 January, so Saturday is the 9th
    assert "DTSTART;TZID=Asia/Kolkata:20270109T130000\r\n" in ics
    assert "DTEND;TZID=Asia/Kolkata:20270109T150000\r\n" in ics
    assert "RRULE:FREQ=WEEKLY;BYDAY=SA;COUNT=12\r\n" in ics
    assert "TZOFFSETTO:+0530" in ics and "DTSTAMP:20261125T090000Z" in ics


def test_text_is_escaped_and_long_lines_are_folded() -> None:
    ics = ics_of(lab_on_saturday())
    assert "SUMMARY:CS2L Networks lab\\, part 1\r\n" in ics
    assert "LOCATION:LAB-1" in ics
    assert all(len(line.encode()) <= 75 for line in ics.split("\r\n"))
    folded = _fold("DESCRIPTION:" + "ह" * 40)  # three bytes a character: never cut inside one
    assert folded.replace("\r\n ", "") == "DESCRIPTION:" + "ह" * 40
    assert all(len(part.encode()) <= 75 for part in folded.split("\r\n"))


def test_the_pdf_draws_the_week_with_the_lab_in_both_periods() -> None:
    text = pdf_text(to_pdf(week_grid(GRID, [lab_on_saturday()]), "Faculty member F1", "Balanced"))
    assert "Faculty member F1" in text and "Sat" in text and "Lunch" in text
    assert "CS2L" in text and "CS2L (cont.)" in text


def test_csv_cells_that_a_spreadsheet_would_run_are_quoted() -> None:
    evil = Session(course_code="=HYPERLINK(1)", course_name="x", session=0, day=0, period=0, length=1,
                   start=time(9, 0), end=time(10, 0), engine_id="E")
    (row,) = csv.DictReader(io.StringIO(to_csv(week_grid(GRID, [evil])).decode()))
    assert row["course"] == "'=HYPERLINK(1)" and row["session"] == "1"


def test_two_sessions_in_one_slot_are_a_clash_on_the_grid() -> None:
    a = Session(course_code="A", course_name="", session=0, day=0, period=0, length=1, start=time(9, 0),
                end=time(10, 0), engine_id="A")
    b = Session(course_code="B", course_name="", session=0, day=0, period=0, length=1, start=time(9, 0),
                end=time(10, 0), engine_id="B")
    week = week_grid(GRID, [a, b])
    assert week.conflict_slots == 1 and week.rows[0].conflict_days == {0}
