"""The JSON API fuzzed from its own OpenAPI schema: no 500, and every 4xx names the problem."""

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from config.urls import api
from config.wsgi import application

# The schema is the one /api/openapi.json serves (to signed-in users), generated from the code.
schema = schemathesis.openapi.from_dict(api.get_openapi_schema(path_prefix="/api/"))
schema.app = application


@schemathesis.check
def a_4xx_names_the_problem(ctx, response, case):
    if 400 <= response.status_code < 500:
        try:
            body = response.json()
        except ValueError:
            raise AssertionError(f"{response.status_code} is not JSON: {response.text[:300]}") from None
        assert isinstance(body.get("error"), str) and body["error"], \
            f"{response.status_code} without a message: {response.text[:200]}"
        if response.status_code == 400 and "errors" in body:
            assert all(isinstance(m, list) and m for m in body["errors"].values())


@pytest.fixture
def keep_test_connection():
    """As Django's test client does: a request must not close the test's database connection."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def admin_token(db, tim, keep_test_connection):
    from core.tokens import token_create
    from tests.conftest import make_user
    return token_create(user=make_user("ada", "Admins", is_staff=True))[1]


# One test per operation, named by it: pytest-xdist needs a distinct id for each test, and the
# items schema.parametrize() makes all share one.
OPERATIONS = [result.ok() for result in schema.get_all_operations()]


@pytest.mark.django_db
@pytest.mark.parametrize("operation", OPERATIONS, ids=[op.label for op in OPERATIONS])
def test_the_api_never_fails_with_a_server_error(operation, admin_token):
    from schemathesis.checks import not_a_server_error, response_schema_conformance

    @settings(max_examples=25, deadline=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
    @given(case=operation.as_strategy())
    def calls(case):
        case.call_and_validate(headers={"Authorization": f"Token {admin_token}"},
                               checks=[not_a_server_error, a_4xx_names_the_problem,
                                       response_schema_conformance])

    calls()
