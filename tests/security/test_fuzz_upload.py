"""File-upload fuzzing (hypothesis): CSV and Excel files of odd cells for every kind of academic data. No
upload is answered 5xx, and a refused upload stores nothing."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from tests.web.support import PersonasTestCase
from timetabling.web.academics import models as am
from timetabling.web.pages.uploads import TABLES

EXAMPLES = 20
FUZZ = settings(max_examples=EXAMPLES, deadline=None, database=None, phases=[Phase.generate],
                suppress_health_check=list(HealthCheck))

ODD_TEXT = ["nan", "NaN", "inf", "-inf", "1e400", "-0", "0", "-1", "3.5", "1e3", "99999999999999999999", "2147483648",
            "²", "٣", "=1+1", "=HYPERLINK(\"http://x\")", "+1", "@SUM(A1)", "yes", "no", "maybe", "core", "lab",
            "a;b;;c", "x" * 300, "\u202e", "<script>", "'", "\"", "\x00", "\n"]


def cell_texts(codes: list[str]) -> st.SearchStrategy[str]:
    """What a person (or an attacker) types into a cell: odd values, codes of real records, anything."""
    return st.one_of(
        st.sampled_from(ODD_TEXT + codes),
        st.integers(min_value=-(10**30), max_value=10**30).map(str),
        st.floats(allow_nan=True, allow_infinity=True).map(repr),
        st.text(max_size=30),
        st.just(""),
    )


def excel_cells(codes: list[str]) -> st.SearchStrategy[Any]:
    return st.one_of(
        cell_texts(codes).map(lambda t: ILLEGAL_CHARACTERS_RE.sub("", t)),
        st.integers(min_value=-(10**20), max_value=10**20),
        st.floats(allow_nan=True, allow_infinity=True),
        st.booleans(),
        st.none(),
        st.datetimes(min_value=datetime(1900, 3, 1), max_value=datetime(2100, 1, 1)),
    )


@st.composite
def sheets(draw: st.DrawFn, cells: st.SearchStrategy[Any]) -> tuple[str, list[list[Any]]]:
    """A kind of data, and a sheet: a header (the required columns, some others, sometimes an unknown one)
    and up to four rows."""
    kind = draw(st.sampled_from(sorted(TABLES)))
    table = TABLES[kind]
    optional = [c.name for c in table.columns if not c.required]
    header = [c.name for c in table.columns if c.required] + draw(st.lists(st.sampled_from(optional), unique=True))
    if draw(st.booleans()):
        header = draw(st.permutations(header))
    if draw(st.integers(0, 9)) == 0:
        header.append(draw(st.sampled_from(["", "Code", "unknown", "=A1"])))
    rows = draw(st.lists(st.lists(cells, min_size=len(header), max_size=len(header)), min_size=1, max_size=4))
    return kind, [header, *rows]


def csv_file(rows: list[list[Any]]) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue().encode("utf-8", errors="surrogatepass")


def xlsx_file(rows: list[list[Any]]) -> bytes:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def snapshot(org: am.Organization) -> dict[str, list[tuple]]:
    """Every stored record of every uploadable kind, with all its fields (and its many-to-many links)."""
    state = {kind: list(t.model.objects.filter(organization=org).order_by("pk").values_list())
             for kind, t in TABLES.items()}
    state["course_links"] = list(am.Course.objects.filter(organization=org).order_by("pk")
                                 .values_list("pk", "faculty", "batches"))
    state["electives"] = list(am.ElectiveChoice.objects.filter(student__organization=org).order_by("pk")
                              .values_list("student", "course"))
    return state


class UploadFuzzTests(PersonasTestCase):
    def codes(self) -> list[str]:
        return [o.code for t in TABLES.values() for o in t.model.objects.filter(organization=self.org)[:3]]

    def check(self, kind: str, name: str, body: bytes) -> None:
        before = snapshot(self.org)
        response = self.client.post(f"/data/{kind}/upload/", {"file": SimpleUploadedFile(name, body)})
        assert response.status_code in (302, 400), (kind, name, response.status_code, body[:300])
        if response.status_code == 400:
            assert response.context["problems"], "a refused upload says why"
            assert all(p.row >= 1 and p.column and p.reason for p in response.context["problems"])
            assert snapshot(self.org) == before, "a refused upload stored something"

    def test_csv_uploads_never_answer_5xx_and_a_refusal_stores_nothing(self) -> None:
        self.as_user(self.admin)

        @FUZZ
        @given(sheet=sheets(cell_texts(self.codes())))
        def run(sheet: tuple[str, list[list[Any]]]) -> None:
            kind, rows = sheet
            self.check(kind, f"{kind}.csv", csv_file(rows))

        run()

    def test_excel_uploads_never_answer_5xx_and_a_refusal_stores_nothing(self) -> None:
        self.as_user(self.admin)

        @FUZZ
        @given(sheet=sheets(excel_cells(self.codes())))
        def run(sheet: tuple[str, list[list[Any]]]) -> None:
            kind, rows = sheet
            self.check(kind, f"{kind}.xlsx", xlsx_file(rows))

        run()
