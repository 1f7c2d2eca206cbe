"""One JSON line per request: method, path, status, duration, request id and user id, nothing else.

The path is logged without its query string, which may hold search terms; the user is logged by id only.
A request id sent by a proxy in X-Request-ID is kept when well-formed, so that its log and ours join up;
otherwise one is made. Either way it is echoed in the response's X-Request-ID header.
"""

import json
import logging
import re
import time
import uuid
from datetime import UTC, datetime

logger = logging.getLogger("hazardlog.requests")

REQUEST_ID_HEADER = "X-Request-ID"
# Letters, digits and a few separators, as UUIDs and proxies' ids use: nothing that could forge a log line.
REQUEST_ID_PATTERN = re.compile(r"[A-Za-z0-9._:-]{1,128}")


class JsonFormatter(logging.Formatter):
    """A record as one JSON object: time, level, logger, message, and the fields passed in `extra={"fields": …}`."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, tz=UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            **getattr(record, "fields", {}),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


def request_id(request) -> str:
    given = request.headers.get(REQUEST_ID_HEADER, "")
    return given if REQUEST_ID_PATTERN.fullmatch(given) else uuid.uuid4().hex


class RequestLogMiddleware:
    """First in MIDDLEWARE, so that the duration and status are those the client sees, redirects included."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        request.request_id = request_id(request)
        response = self.get_response(request)
        response[REQUEST_ID_HEADER] = request.request_id
        user = getattr(request, "user", None)
        fields = {
            "request_id": request.request_id,
            "method": request.method,
            "path": request.path,
            "status": response.status_code,
            "duration_ms": round((time.perf_counter() - started) * 1000, 1),
            "user_id": user.pk if user is not None and user.is_authenticated else None,
        }
        logger.info("request", extra={"fields": fields})
        return response
