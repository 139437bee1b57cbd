"""The OpenAPI schema against the running server (uvicorn over HTTP), by schemathesis: every operation,
with generated inputs, answers as its schema says and never with a server error.  The write endpoint
is called with the token, so generated uploads go through the whole job path (they are refused as
files, never crash it).  Only there is one check left out: ``positive_data_acceptance`` takes every
schema-valid body as acceptable, and a schema cannot say that the upload must be a CSV/Excel/... file
(by its name) and not empty; that refusal (422, Chinese first) is tested in test_api.py.

Driven through hypothesis directly (``APIOperation.as_strategy``): schemathesis's pytest plugin does
not load under the pytest this project uses."""
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import positive_data_acceptance

from .conftest import TOKEN


def test_every_operation_keeps_to_its_schema(live):
    schema = schemathesis.openapi.from_url(live.url + "/api/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    labels = {op.label for op in operations}
    assert {"POST /api/check", "POST /api/review", "GET /api/jobs/{job_id}", "GET /api/provisions"} <= labels
    for op in operations:
        @given(case=op.as_strategy())
        @settings(max_examples=25, deadline=None, database=None, suppress_health_check=list(HealthCheck))
        def run(case):
            skip = [positive_data_acceptance] if op.label == "POST /api/review" else []
            case.call_and_validate(base_url=live.url, headers={"Authorization": f"Bearer {TOKEN}"},
                                   excluded_checks=skip)
        run()
