"""/healthz: 200 when the database answers and every migration is applied, 503 naming the failed check
otherwise; no login, no data, and no HTTPS redirect (load balancers check over plain HTTP)."""

from unittest import mock

import pytest
from django.db import OperationalError


@pytest.fixture
def pending_migration():
    with mock.patch(
        "hazardlog.operations.health.MigrationExecutor.migration_plan", return_value=[(mock.Mock(), False)]
    ):
        yield


@pytest.fixture
def database_down():
    connection = mock.Mock()
    connection.cursor.side_effect = OperationalError("could not connect to server")
    with mock.patch("hazardlog.operations.health.connection", connection):
        yield


def test_it_answers_200_without_login(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "no-cache" in response["Cache-Control"]


def test_a_pending_migration_answers_503_naming_it(client, db, pending_migration):
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "failed": "migrations"}


def test_the_database_down_answers_503_naming_it(client, db, database_down):
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "failed": "database"}


def test_it_is_not_redirected_to_https(client, db, settings):
    settings.SECURE_SSL_REDIRECT = True
    assert client.get("/healthz").status_code == 200
    assert client.get("/accounts/login/").status_code == 301
