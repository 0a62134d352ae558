"""The result API: a summary by default, slots filtered by variant and owner a page at a time, ETag and 304,
gzip, and the whole result as a streamed download."""

from __future__ import annotations

import csv
import gzip
import io
import json

from django.test import override_settings

from tests.web.support import CALLBACK_URL, FAKE_CLIENT, PersonasTestCase, callback_body, signed_headers
from timetabling.web.scheduling.models import GenerationJob, Timetable, TimetableSlot


@override_settings(ENGINE_CLIENT=FAKE_CLIENT)
class ResultApiTests(PersonasTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.job = GenerationJob.objects.create(organization=self.org, academic_year="2026-27", semester=1)
        raw = json.dumps(callback_body(self.job.pk, self.org)).encode()
        assert self.client.post(CALLBACK_URL, data=raw, content_type="application/json",
                                **signed_headers(raw)).status_code == 200
        self.first, self.second = Timetable.objects.filter(generation_job=self.job).order_by("id")
        self.url = f"/api/timetable/result/{self.job.pk}/"
        self.as_user(self.scheduler)

    def test_the_summary_has_each_variants_checker_report_and_no_slots(self) -> None:
        body = self.client.get(self.url).json()
        assert "slots" not in body and body["download"] == f"{self.url}download/"
        summary = body["timetables"][0]
        assert summary["id"] == self.first.pk and "slots" not in summary
        assert summary["slot_rows"] == self.first.slots.count()
        assert summary["checker"]["hard_violations"] == self.first.report.hard_total > 0  # placed_entries clash

    def test_a_variants_slots_come_a_page_at_a_time(self) -> None:
        total = self.first.slots.count()
        page1 = self.client.get(self.url, {"timetable_id": self.first.pk, "page_size": 3}).json()
        assert len(page1["slots"]) == 3 and page1["pagination"]["total"] == total
        assert {s["timetable_id"] for s in page1["slots"]} == {self.first.pk}
        page2 = self.client.get(page1["pagination"]["next"]).json()
        assert page2["pagination"]["page"] == 2
        assert not {s["id"] for s in page1["slots"]} & {s["id"] for s in page2["slots"]}
        by_name = self.client.get(self.url, {"variant": "Faculty-focused", "page_size": 5000}).json()
        assert {s["timetable_id"] for s in by_name["slots"]} == {self.second.pk}
        assert by_name["pagination"]["next"] is None

    def test_an_owner_filter_returns_only_that_owners_slots(self) -> None:
        teacher = TimetableSlot.objects.filter(timetable=self.first, faculty__isnull=False).first().faculty
        body = self.client.get(self.url, {"kind": "faculty", "owner_id": teacher.pk, "page_size": 5000}).json()
        assert body["slots"] and {s["faculty"]["id"] for s in body["slots"]} == {teacher.pk}
        assert {s["timetable_id"] for s in body["slots"]} == {self.first.pk, self.second.pk}
        expected = TimetableSlot.objects.filter(timetable__generation_job=self.job, faculty=teacher).count()
        assert body["pagination"]["total"] == expected

    def test_bad_filters_are_named(self) -> None:
        assert self.client.get(self.url, {"variant": "Nope"}).status_code == 404
        assert self.client.get(self.url, {"kind": "planet", "owner_id": 1}).json()["error"]["field"] == "kind"
        assert self.client.get(self.url, {"kind": "room"}).json()["error"]["field"] == "owner_id"
        assert self.client.get(self.url, {"timetable_id": "x"}).status_code == 400
        assert self.client.get(self.url, {"page_size": 100000}).json()["error"]["field"] == "page_size"
        other = GenerationJob.objects.create(organization=self.other_org, academic_year="2026-27", semester=1)
        assert self.client.get(f"/api/timetable/result/{other.pk}/").status_code == 404

    def test_an_unchanged_answer_is_a_304_and_a_changed_timetable_a_new_etag(self) -> None:
        first = self.client.get(self.url)
        etag = first["ETag"]
        again = self.client.get(self.url, HTTP_IF_NONE_MATCH=etag)
        assert again.status_code == 304 and again.content == b"" and again["ETag"] == etag
        slot = self.first.slots.first()
        slot.day = (slot.day + 1) % 5
        slot.save()  # as the admin does: the timetable's slots have a new version
        changed = self.client.get(self.url, HTTP_IF_NONE_MATCH=etag)
        assert changed.status_code == 200 and changed["ETag"] != etag

    def test_reads_are_gzipped_for_clients_that_take_it(self) -> None:
        response = self.client.get(self.url, {"timetable_id": self.first.pk}, HTTP_ACCEPT_ENCODING="gzip")
        assert response["Content-Encoding"] == "gzip"
        assert json.loads(gzip.decompress(response.content))["slots"]

    def test_the_whole_result_downloads_as_json_and_csv(self) -> None:
        response = self.client.get(f"{self.url}download/")
        assert response.streaming and "attachment" in response["Content-Disposition"]
        body = json.loads(b"".join(response.streaming_content))
        assert [t["name"] for t in body["timetables"]] == ["Balanced", "Faculty-focused"]
        assert len(body["timetables"][0]["slots"]) == self.first.slots.count()
        response = self.client.get(f"{self.url}download/", {"format": "csv", "variant": "Balanced"})
        rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
        assert len(rows) == self.first.slots.count() and {r["variant"] for r in rows} == {"Balanced"}
        assert self.client.get(f"{self.url}download/", {"format": "pdf"}).status_code == 400

    def test_faculty_may_not_read_results(self) -> None:
        self.as_user(self.faculty_user)
        assert self.client.get(self.url).status_code == 403
        assert self.client.get(f"{self.url}download/").status_code == 403
