"""The hazard logs a user belongs to, a new log, and one log's hazard list."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render

from hazardlog import presenters, search, services
from hazardlog.access import can, get_log_for_user
from hazardlog.filters import HazardFilter
from hazardlog.forms import LogForm
from hazardlog.models import Role
from hazardlog.templatetags.hazardlog_tags import rating_tag
from hazardlog.web.paging import SearchPaginator

HAZARDS_PER_PAGE = 50
CREATE_PERMISSION = "hazardlog.add_hazardlog"


@login_required
def log_list(request):
    summaries = presenters.log_summaries(request.user)
    return render(
        request,
        "hazardlog/log_list.html",
        {
            "logs": summaries,
            "stylesheets": presenters.log_stylesheets(summaries),
            "can_create": request.user.has_perm(CREATE_PERMISSION),
        },
    )


@login_required
def log_create(request):
    # Creating logs is given to chosen accounts in the admin, so that not every account can probe log names.
    if not request.user.has_perm(CREATE_PERMISSION):
        return render(request, "hazardlog/log_create_denied.html", status=403)
    form = LogForm(request.POST if request.method == "POST" else None, user=request.user)
    if request.method == "POST" and form.is_valid():
        log = services.create_log(form.save(commit=False), request.user)
        messages.success(request, f"Hazard log created for {log.name}. You are its Clinical Safety Officer.")
        return redirect("hazardlog:log_detail", log.pk)
    return render(request, "hazardlog/log_create.html", {"form": form})


@login_required
def log_edit(request, log_id):
    log = get_log_for_user(request.user, log_id, Role.CSO)
    form = LogForm(request.POST if request.method == "POST" else None, instance=log, editing=True, user=request.user)
    if request.method == "POST" and form.is_valid():
        services.save_log(form.save(commit=False), request.user, form.cleaned_data["reason"])
        messages.success(request, "Log details saved.")
        return redirect("hazardlog:log_detail", log.pk)
    return render(request, "hazardlog/log_edit.html", {"form": form, "log": log})


@login_required
def log_detail(request, log_id):
    log = get_log_for_user(request.user, log_id)
    matrix = presenters.MatrixView.load(log.matrix_id)
    hazard_filter = HazardFilter(
        request.GET, queryset=presenters.hazard_list(log), matrix=matrix, owners=presenters.owners(log)
    )
    hazards = hazard_filter.qs
    ranked = search.is_ranked(hazards)  # a search: best match first, counted up to a limit
    paginator_class = SearchPaginator if ranked else Paginator
    page = paginator_class(hazards, HAZARDS_PER_PAGE).get_page(request.GET.get("page"))
    rows = presenters.hazard_rows(page.object_list, matrix, log)
    found = search.highlights(page.object_list, hazard_filter.form.cleaned_data.get("q") or "")
    # Each rating's tag drawn once for the page, not twice in every row.
    tags = {rating: rating_tag(rating) for rating in [None, *matrix.ratings.values()]}
    for row in rows:
        row.found = found.get(row.hazard.pk)  # the name and a snippet with the searched words marked
        row.initial_tag, row.residual_tag = tags[row.initial], tags[row.residual]
    return render(
        request,
        "hazardlog/log_detail.html",
        {
            "log": log,
            "matrix": matrix,
            "filter": hazard_filter,
            "page": page,
            "rows": rows,
            "columns": presenters.sort_columns(request.GET, ranked=ranked),
            "pages": presenters.page_links(page, request.GET),
            "can_edit": can(log.user_role, Role.EDITOR),
            "entered_in_error": presenters.entered_in_error(log),
            "form_has_errors": False,
        },
    )
