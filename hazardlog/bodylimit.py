"""A limit on the size of request bodies, in the app itself (a proxy limit may be missing or set too high).

Django does not limit uploaded files (pitfalls.md), and spools any large body to disk before a view sees
it. This middleware runs first and refuses, with 413 and an NHS.UK page, a request whose Content-Length
is above its path's limit: the workbook import and the admin's data import accept an upload of up to
HAZARDLOG_MAX_UPLOAD_BYTES plus 1 MB of form; every other path HAZARDLOG_MAX_BODY_BYTES (2 MB: a hazard
form with every text at the 32,767-character limit, URL-encoded). A chunked body, which has no
Content-Length, is refused with 411: browsers always send the length, and Django reads no body without it.
"""

from django.conf import settings
from django.shortcuts import render
from django.urls import Resolver404, resolve

# Views that take a file upload (URL names); the admin's confirm step sends no file.
UPLOAD_VIEWS = {"hazardlog:import_upload", "admin:hazardlog_control_import", "upstream:bring_in"}
FORM_OVERHEAD = 1024 * 1024


def limit_for(path: str) -> int:
    try:
        view = resolve(path).view_name
    except Resolver404:
        view = ""
    if view in UPLOAD_VIEWS:
        return settings.HAZARDLOG_MAX_UPLOAD_BYTES + FORM_OVERHEAD
    return settings.HAZARDLOG_MAX_BODY_BYTES


class RequestBodyLimitMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if "HTTP_TRANSFER_ENCODING" in request.META:
            return render(request, "request_too_large.html", {"chunked": True}, status=411)
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0  # Django reads no body for a length it cannot read
        limit = limit_for(request.path_info)
        if length > limit:
            return render(request, "request_too_large.html", {"limit": limit, "length": length}, status=413)
        return self.get_response(request)
