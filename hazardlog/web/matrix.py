"""A log's risk matrix with its hazards counted in each cell, and the stylesheet of a matrix's colours."""

from django.contrib.auth.decorators import login_not_required, login_required
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from hazardlog import presenters
from hazardlog.access import get_log_for_user
from hazardlog.models import RiskRating


@login_required
def matrix(request, log_id):
    log = get_log_for_user(request.user, log_id)
    view = presenters.MatrixView.load(log.matrix_id)
    return render(
        request,
        "hazardlog/matrix.html",
        {"log": log, "matrix": view, "rows": presenters.matrix_rows(log, view)},
    )


@login_not_required
@require_GET
def matrix_css(request, matrix_id):
    """Public: only colours. Served as a stylesheet because the CSP forbids inline styles. Cached for
    long when asked for by the current version (`?v=`), which changes whenever a colour does."""
    ratings = list(RiskRating.objects.filter(matrix_id=matrix_id).order_by("number"))
    if not ratings:
        raise Http404("No such risk matrix.")
    response = HttpResponse(presenters.matrix_stylesheet(ratings), content_type="text/css; charset=utf-8")
    current = request.GET.get("v") == presenters.colours_version(ratings)
    response["Cache-Control"] = "public, max-age=31536000, immutable" if current else "no-cache"
    return response
