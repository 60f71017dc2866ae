"""schemathesis hooks for .ci/fuzz, which names this file in SCHEMATHESIS_HOOKS (docs/fuzzing.md).

A list cursor is opaque and signed: only a nextCursor the api issued for the same caller and
filters is a cursor, and any other string the schema admits is answered 400 invalid-cursor, as
the OpenAPI document and docs/api.md say. schemathesis cannot issue one, so it reports that
answer as a schema-valid request rejected (ST202). This drops exactly that failure; every other
failure, on GET /jobs as anywhere, still fails the run. Paging with the cursors the api issues
is tested in test/api-job-control.test.ts.
"""

import json

import schemathesis
from schemathesis.openapi.checks import RejectedPositiveData

INVALID_CURSOR = "urn:jobsys:problem:invalid-cursor"


def _problem_type(response):
    try:
        body = json.loads(response.content)
    except ValueError:
        return None
    return body.get("type") if isinstance(body, dict) else None


@schemathesis.hook
def filter_failure(context, failure, case, response):
    invented_cursor = (
        isinstance(failure, RejectedPositiveData)
        and response.status_code == 400
        and "cursor" in (case.query or {})
        and _problem_type(response) == INVALID_CURSOR
    )
    return not invented_cursor
