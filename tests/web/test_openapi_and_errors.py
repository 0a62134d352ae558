"""The OpenAPI description covers the API; errors under /api/ are JSON."""

from __future__ import annotations

from django.urls import get_resolver

from tests.web.support import PersonasTestCase


class OpenApiTests(PersonasTestCase):
    def test_every_route_is_described_with_its_body(self) -> None:
        spec = self.client.get("/api/openapi.json").json()
        assert spec["openapi"].startswith("3.")
        routed = {str(p.pattern) for r in get_resolver().url_patterns if str(r.pattern) == "api/"
                  for p in r.url_patterns if p.name not in ("openapi-json", "api-root")}
        assert len(spec["paths"]) == len(routed) == 29  # every route of the API is described, once
        generate = spec["paths"]["/api/timetable/generate/"]["post"]
        assert generate["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith("GenerateRequest")
        schema = spec["components"]["schemas"]["GenerateRequest"]
        assert {"academic_year", "semester", "university_id"} <= set(schema["required"])
        params = spec["paths"]["/api/timetable/status/{job_id}/"]["get"]["parameters"]
        assert params[0]["name"] == "job_id"

    def test_unknown_api_paths_and_wrong_methods_answer_json(self) -> None:
        self.as_user(self.scheduler)
        missing = self.client.get("/api/no/such/thing/")
        assert missing.status_code == 404 and missing.json()["success"] is False
        wrong = self.client.delete("/api/timetable/generate/")
        assert wrong.status_code == 405 and "POST" in wrong.json()["message"]
