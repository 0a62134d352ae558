"""Chosen priorities on the generation form: the weights, a saved profile, and the job's pages showing them."""

from __future__ import annotations

import json

from django.test import override_settings

from tests.web.support import FAKE_CLIENT, FakeEngineClient, PersonasTestCase
from timetabling.engine.priorities import CRITERIA, CUSTOM_NAME
from timetabling.web.scheduling.models import GenerationJob, PriorityProfile

NEW = "/admin/timetables/new"


@override_settings(ENGINE_CLIENT=FAKE_CLIENT, MAX_CONCURRENT_JOBS=5,
                   PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"])
class PrioritiesPageTests(PersonasTestCase):
    def form(self, **changes):
        data = {"academic_year": "2026-27", "semester": "1", "variant_count": "1", "time_limit": "5",
                "variant_1": "Balanced"}
        data.update({f"weight_{c.rule.value}": str(c.default) for c in CRITERIA})
        return {**data, **changes}

    def test_the_form_explains_each_criterion_with_its_range(self) -> None:
        self.as_user(self.scheduler)
        html = self.client.get(NEW).content.decode()
        for c in CRITERIA:
            assert f'name="weight_{c.rule.value}"' in html and c.title in html
        assert 'max="100"' in html and "one unit per free period" in html

    def test_custom_weights_reach_the_engine_and_show_on_the_status_page(self) -> None:
        self.as_user(self.scheduler)
        response = self.client.post(NEW, self.form(priorities="__custom__", weight_batch_idle="9"))
        assert response.status_code == 302, response.content.decode()[:2000]
        (sent,) = FakeEngineClient.submitted
        assert sent["variants"] == ["Balanced", CUSTOM_NAME]
        assert sent["custom_weights"][CUSTOM_NAME]["batch_idle"] == 9
        html = self.client.get(response["Location"]).content.decode()
        assert 'id="chosen-priorities"' in html and "Batch idle 9" in html and "(usual 2)" in html
        assert 'id="convergence"' in html and "pages/convergence.js" in html  # the live chart's place and script

    def test_weights_saved_as_a_profile_are_offered_next_time(self) -> None:
        self.as_user(self.scheduler)
        response = self.client.post(NEW, self.form(priorities="__custom__", save_as="Late starts",
                                                    weight_faculty_preference="12"))
        assert response.status_code == 302
        saved = PriorityProfile.objects.get(organization=self.org, name="Late starts")
        assert saved.weights["faculty_preference"] == 12
        assert FakeEngineClient.submitted[0]["variants"] == ["Balanced", "Late starts"]
        assert "saved profile: Late starts" in self.client.get(NEW).content.decode()

    def test_the_form_carries_the_saved_profiles_weights_for_its_script(self) -> None:
        PriorityProfile.objects.create(organization=self.other_org, name="Theirs", weights={"batch_idle": 1})
        PriorityProfile.objects.create(organization=self.org, name="Late starts", weights={"batch_idle": 7})
        self.as_user(self.scheduler)
        html = self.client.get(NEW).content.decode()
        element = '<script id="priority-profiles" type="application/json">'
        data = json.loads(html.split(element)[1].split("</script>")[0])
        assert data["profiles"] == {"Late starts": {"batch_idle": 7}}  # never another organization's
        assert data["usual"] == {c.rule.value: c.default for c in CRITERIA} and data["custom"] == "__custom__"
        assert "pages/priorities.js" in html

    def test_a_weight_out_of_range_is_refused_on_the_form(self) -> None:
        self.as_user(self.scheduler)
        response = self.client.post(NEW, self.form(priorities="__custom__", weight_batch_idle="500"))
        assert response.status_code == 400
        assert not GenerationJob.objects.exists() and not FakeEngineClient.submitted
