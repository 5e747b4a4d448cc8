"""schemathesis against the console's OpenAPI document: for each operation, requests
generated from the document (valid and invalid ones), sent with an admin token to the
application over a throwaway copy of the seeded store; no answer may be a server error,
and each must match the document's content type and schema.

What is left out: the event stream (it never ends), and signing out or changing the
password (harmless but pointless with a token).  Bounded: ``MAX_EXAMPLES`` a phase and
an operation, no shrinking, no example database (the run is the same each time).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from api_support import USERS, cheap_hashes, cheap_hashing, copy_template, template
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance

from otm.api.app import API, create_app
from otm.model.access import Role
from otm.services import access
from otm.store.combined import Store

__all__ = ["cheap_hashing", "template"]

MAX_EXAMPLES = 8
CHECKS = [not_a_server_error, content_type_conformance, response_schema_conformance]
HEADERS: dict[str, str] = {}


@pytest.fixture(scope="module")
def api_schema(
    tmp_path_factory: pytest.TempPathFactory, template: Path
) -> Iterator[schemathesis.BaseSchema]:
    url = f"sqlite:///{tmp_path_factory.mktemp('schema') / 'otm.db'}"
    copy_template(template, url)
    store = Store(url)
    with cheap_hashes():
        _, token = access.create_token(store, USERS[Role.ADMIN][0], "schemathesis", None, 0.0)
        HEADERS["Authorization"] = f"Bearer {token}"
        app = create_app(store)
        with TestClient(app):  # runs the lifespan: the store closes at the end
            schema = schemathesis.openapi.from_asgi(f"{API}/openapi.json", app)
            schema.config.generation.update(
                max_examples=MAX_EXAMPLES, no_shrink=True, deterministic=True, database="none"
            )
            yield schema


schema = (
    schemathesis.pytest.from_fixture("api_schema")
    .exclude(path=f"{API}/events")
    .exclude(path=f"{API}/session", method="DELETE")
    .exclude(path=f"{API}/session/password")
)


@schema.parametrize()
@settings(deadline=None, suppress_health_check=list(HealthCheck))
def test_the_api_answers_as_documented(case: schemathesis.Case) -> None:
    case.call_and_validate(headers=HEADERS, checks=CHECKS)
