"""The export files from a hand-made week: iCalendar details, PDF text, spreadsheet safety."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from icalendar import Calendar

from tests.pages.support import pdf_text
from timetabling.engine.model import TimeGrid
from timetabling.web.pages.exports import TermDates, to_csv, to_ics, to_pdf
from timetabling.web.pages.grids import Session, week_grid

GRID = TimeGrid.standard(n_days=6, n_periods=4, lunch_after=1)  # Mon..Sat


def lab_on_saturday() -> Session:
    return Session(course_code="CS2L", course_name="Networks lab, part 1", session=1, day=5, period=2, length=2,
                   start=time(13, 0), end=time(15, 0), faculty=["F1", "F2"], batches=["B1"], room="LAB-1",
                   engine_id="CS2L-A")


def ics_of(*sessions: Session, term: TermDates | None = None, tz: str = "Asia/Kolkata") -> Calendar:
    week = week_grid(GRID, list(sessions))
    body = to_ics(week, "Faculty F1", "t1", term or TermDates.weeks_from(date(2027, 1, 6), 12), tz,
                  datetime(2026, 11, 25, 9, 0, tzinfo=ZoneInfo("UTC")))
    return Calendar.from_ical(body)


def test_a_session_repeats_weekly_on_its_day_from_the_first_week() -> None:
    (event,) = ics_of(lab_on_saturday()).walk("VEVENT")
    # 2027-01-06 is a Wednesday: its week starts on Monday 4 January, so Saturday is the 9th
    assert event.decoded("dtstart") == datetime(2027, 1, 9, 13, 0, tzinfo=ZoneInfo("Asia/Kolkata"))
    assert event.decoded("dtend") == datetime(2027, 1, 9, 15, 0, tzinfo=ZoneInfo("Asia/Kolkata"))
    assert event["rrule"]["FREQ"] == ["WEEKLY"] and event["rrule"]["BYDAY"] == ["SA"]
    assert event["rrule"]["UNTIL"][0].date() == date(2027, 3, 28)  # the Sunday closing week 12
    assert event.decoded("dtstart").utcoffset() == timedelta(hours=5, minutes=30)


def test_a_term_in_a_dst_time_zone_has_its_dates_no_holidays_and_the_right_offsets() -> None:
    # Berlin moves from +01:00 to +02:00 on 28 March 2027; 1 April is a holiday (a Thursday)
    lecture = Session(course_code="MA1", course_name="Analysis", session=0, day=3, period=0, length=1,
                      start=time(9, 0), end=time(10, 0), faculty=["F1"], faculty_names=["Dr. Müller"],
                      engine_id="MA1-A")
    term = TermDates(date(2027, 3, 1), date(2027, 4, 30), frozenset({date(2027, 4, 1), date(2027, 4, 2)}))
    calendar = ics_of(lecture, term=term, tz="Europe/Berlin")
    (event,) = calendar.walk("VEVENT")
    assert calendar.walk("VTIMEZONE")[0]["TZID"] == "Europe/Berlin"
    assert event.decoded("dtstart") == datetime(2027, 3, 4, 9, 0, tzinfo=ZoneInfo("Europe/Berlin"))
    assert [d.dt for d in event["exdate"].dts] == [datetime(2027, 4, 1, 9, 0, tzinfo=ZoneInfo("Europe/Berlin"))]
    starts = [d for d in _occurrences(event) if d.date() <= term.end]
    assert starts[0].date() == date(2027, 3, 4) and starts[-1].date() == date(2027, 4, 29)
    assert date(2027, 4, 1) not in {d.date() for d in starts} and len(starts) == 8
    offsets = {d.date(): d.utcoffset() for d in starts}
    assert offsets[date(2027, 3, 25)] == timedelta(hours=1) and offsets[date(2027, 4, 8)] == timedelta(hours=2)
    assert "Dr. Müller" in str(event["description"])


def _occurrences(event) -> list[datetime]:
    """The event's starts: weekly from DTSTART until UNTIL, less the EXDATEs, at the wall-clock time."""
    start, until = event.decoded("dtstart"), event["rrule"]["UNTIL"][0]
    skipped = {d.dt for d in event["exdate"].dts} if "exdate" in event else set()
    out, day = [], start
    while day <= until:
        if day not in skipped:
            out.append(day)
        day = (day.replace(tzinfo=None) + timedelta(days=7)).replace(tzinfo=start.tzinfo)
    return out


def test_text_is_kept_whole_and_long_lines_are_folded() -> None:
    body = to_ics(week_grid(GRID, [lab_on_saturday()]), "F " + "ह" * 40, "t1", TermDates.weeks_from(
        date(2027, 1, 4), 2), "Asia/Kolkata", datetime(2026, 11, 25, 9, 0, tzinfo=ZoneInfo("UTC")))
    assert all(len(line) <= 75 for line in body.split(b"\r\n"))
    calendar = Calendar.from_ical(body)
    (event,) = calendar.walk("VEVENT")
    assert str(calendar["x-wr-calname"]) == "F " + "ह" * 40
    assert str(event["summary"]) == "CS2L Networks lab, part 1" and str(event["location"]) == "LAB-1"


def test_the_pdf_draws_the_week_with_the_lab_in_both_periods() -> None:
    text = pdf_text(to_pdf(week_grid(GRID, [lab_on_saturday()]), "Faculty member F1", "Balanced"))
    assert "Faculty member F1" in text and "Sat" in text and "Lunch" in text
    assert "CS2L" in text and "CS2L (cont.)" in text


def test_csv_cells_that_a_spreadsheet_would_run_are_quoted() -> None:
    evil = Session(course_code="=HYPERLINK(1)", course_name="x", session=0, day=0, period=0, length=1,
                   start=time(9, 0), end=time(10, 0), engine_id="E")
    (row,) = csv.DictReader(io.StringIO(to_csv(week_grid(GRID, [evil])).decode()))
    assert row["course_code"] == "'=HYPERLINK(1)" and row["course"] == "x" and row["session"] == "1"


def test_two_sessions_in_one_slot_are_a_clash_on_the_grid() -> None:
    a = Session(course_code="A", course_name="", session=0, day=0, period=0, length=1, start=time(9, 0),
                end=time(10, 0), engine_id="A")
    b = Session(course_code="B", course_name="", session=0, day=0, period=0, length=1, start=time(9, 0),
                end=time(10, 0), engine_id="B")
    week = week_grid(GRID, [a, b])
    assert week.conflict_slots == 1 and week.rows[0].conflict_days == {0}


def test_names_print_in_any_script_and_codes_stay_a_column() -> None:
    lab = lab_on_saturday()
    lab.faculty_names, lab.room_name = ["डॉ. अनन्या शर्मा", "Ζωή Παππά"], "Networks lab"
    week = week_grid(GRID, [lab])
    text = pdf_text(to_pdf(week, "Faculty member डॉ. अनन्या शर्मा", "Balanced"))
    assert "अनन्या" in text and "Ζωή Παππά" in text and "Networks lab" in text
    (row,) = csv.DictReader(io.StringIO(to_csv(week).decode()))
    assert row["faculty"] == "डॉ. अनन्या शर्मा;Ζωή Παππά" and row["faculty_codes"] == "F1;F2"
    assert (row["course"], row["course_code"], row["room"], row["room_code"]) == (
        "Networks lab, part 1", "CS2L", "Networks lab", "LAB-1")
