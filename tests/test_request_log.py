"""One JSON line per request: method, path without its query, status, duration, request id, user id."""

import json
import logging

from django.urls import reverse

from hazardlog.operations.requestlog import JsonFormatter

LOGGER = "hazardlog.requests"


def logged_lines(caplog) -> list[dict]:
    return [json.loads(JsonFormatter().format(record)) for record in caplog.records if record.name == LOGGER]


def test_a_request_is_one_json_line_with_user_id_and_no_query(client, member_log, user, caplog):
    client.force_login(user)
    response = client.get(reverse("hazardlog:log_detail", args=[member_log.pk]), {"q": "overdose of warfarin"})

    (line,) = logged_lines(caplog)
    assert set(line) == {"time", "level", "logger", "message", "request_id", "method", "path", "status",
                         "duration_ms", "user_id"}  # fmt: skip
    assert line["method"] == "GET"
    assert line["path"] == f"/logs/{member_log.pk}/"
    assert line["status"] == 200
    assert line["user_id"] == user.pk
    assert isinstance(line["duration_ms"], float)
    assert line["request_id"] == response["X-Request-ID"]
    formatted = JsonFormatter().format(caplog.records[-1])
    assert "\n" not in formatted
    assert "warfarin" not in formatted
    assert user.username not in formatted


def test_an_anonymous_request_has_no_user_id(client, db, caplog):
    response = client.get("/healthz")
    (line,) = logged_lines(caplog)
    assert line["user_id"] is None
    assert line["status"] == 200
    assert len(response["X-Request-ID"]) == 32


def test_a_well_formed_incoming_request_id_is_kept(client, db, caplog):
    response = client.get("/healthz", headers={"X-Request-ID": "lb-7f3a9c21-0001"})
    assert response["X-Request-ID"] == "lb-7f3a9c21-0001"
    assert logged_lines(caplog)[0]["request_id"] == "lb-7f3a9c21-0001"


def test_a_malformed_incoming_request_id_is_replaced(client, db, caplog):
    forged = 'x", "user_id": 1, "y": "'
    response = client.get("/healthz", headers={"X-Request-ID": forged})
    assert response["X-Request-ID"] != forged
    assert len(response["X-Request-ID"]) == 32
    assert logged_lines(caplog)[0]["request_id"] == response["X-Request-ID"]


def test_the_caplogger_writes_json_through_its_own_handler():
    logger = logging.getLogger(LOGGER)
    assert logger.propagate is False
    # pytest adds its own capturing handlers to loggers that do not propagate.
    assert any(isinstance(handler.formatter, JsonFormatter) for handler in logger.handlers)
