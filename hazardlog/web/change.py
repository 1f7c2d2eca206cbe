"""Change control pages: the audit trail of a hazard and of a log, and the CSO-approved issues of a log
(approve, list, download exactly as approved, compare two)."""

import logging

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.http import content_disposition_header
from django.utils.text import get_valid_filename
from django.utils.timezone import localtime
from django.views.decorators.http import require_GET, require_POST

from hazardlog import history, issues
from hazardlog.access import get_log_for_user
from hazardlog.forms_base import NHSFormHelper
from hazardlog.models import Hazard, LogIssue, Role

logger = logging.getLogger(__name__)


class ApproveIssueForm(forms.Form):
    """The checks are the service's own (`issues.check_number`), run here too so that every problem shows at once."""

    number = forms.CharField(
        label="Issue number",
        max_length=20,
        error_messages={"required": issues.NUMBER_FORMAT_MESSAGE},
        help_text="Major.minor, for example 1.0, 1.1 or 2.0.",
        widget=forms.TextInput(attrs={"class": "nhsuk-input--width-5", "spellcheck": "false"}),
    )
    meaning = forms.CharField(
        label="What this approval means",
        max_length=issues.MEANING_MAX_CHARS,
        help_text='For example "Approved for release 4.2 with the safety case report CSCR-12".',
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": issues.MEANING_REQUIRED_MESSAGE},
    )

    def __init__(self, *args, log, **kwargs):
        super().__init__(*args, **kwargs)
        self.log = log
        self.helper = NHSFormHelper(submit_label="Approve this issue")
        self.helper.form_action = reverse("hazardlog:issue_approve", args=[log.pk])

    def clean_number(self):
        return issues.check_number(self.log, self.cleaned_data["number"])


# Audit trail -----------------------------------------------------------------------------------------


@require_GET
def hazard_history(request, log_id, hazard_id):
    log = get_log_for_user(request.user, log_id)
    hazard = get_object_or_404(Hazard, log=log, pk=hazard_id)
    return render(
        request,
        "hazardlog/change/hazard_history.html",
        {"log": log, "hazard": hazard, "entries": history.hazard_history(hazard)},
    )


@require_GET
def log_history(request, log_id):
    log = get_log_for_user(request.user, log_id)
    page = history.log_history(log, request.GET.get("page") or 1)
    return render(request, "hazardlog/change/log_history.html", {"log": log, "page": page})


# Issues ----------------------------------------------------------------------------------------------


def _issues_in_order(log) -> list[LogIssue]:
    # The stored files are left in the database until one is downloaded or compared.
    listed = log.issues.select_related("approved_by").defer("workbook", "snapshot")
    return sorted(listed, key=lambda issue: issues.number_key(issue.number))


def _issues_page(request, log, form, status=200):
    in_order = _issues_in_order(log)
    # Newest first, each with the issue before it (for "what changed since").
    rows = list(zip(in_order, [None, *in_order], strict=False))[::-1]
    context = {
        "log": log,
        "rows": rows,
        "latest": in_order[-1] if in_order else None,
        "form": form,
        "can_approve": log.user_role == Role.CSO,
        "next_numbers": issues.next_numbers(log),
        # Said before the form, not only after a refused approval.
        "no_full_name": "" if request.user.get_full_name() else issues.no_full_name_message(request.user),
    }
    return render(request, "hazardlog/change/issue_list.html", context, status=status)


@require_GET
def issue_list(request, log_id):
    log = get_log_for_user(request.user, log_id)
    return _issues_page(request, log, ApproveIssueForm(log=log) if log.user_role == Role.CSO else None)


@require_POST
def issue_approve(request, log_id):
    log = get_log_for_user(request.user, log_id, Role.CSO)
    form = ApproveIssueForm(request.POST, log=log)
    if form.is_valid():
        try:
            issue = issues.approve_issue(log, form.cleaned_data["number"], form.cleaned_data["meaning"], request.user)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"Issue {issue.number} of this log is approved.")
            return redirect("hazardlog:issue_list", log_id=log.pk)
    return _issues_page(request, log, form, status=400)


DOWNLOADS = {
    "workbook": ("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    "json": ("json", "application/json"),
}


def issue_file_response(request, issue: LogIssue, kind: str) -> HttpResponse:
    """The issue's workbook or JSON snapshot, byte for byte as approved, with its SHA-256 in a header.

    Refused (409) if the stored bytes no longer match the SHA-256 recorded at approval: only an edit below
    the app can cause that (on PostgreSQL past a trigger), and an altered issue must not pass as approved."""
    if kind not in DOWNLOADS:
        raise Http404("No such download.")
    extension, content_type = DOWNLOADS[kind]
    if kind == "workbook":
        content, checksum = bytes(issue.workbook), issue.workbook_sha256
    else:
        content, checksum = issues.canonical_json(issue.snapshot), issue.snapshot_sha256
    computed = issues.sha256(content)
    if computed != checksum:
        logger.critical(
            "Approved issue id=%s (%s issue %s) %s altered: SHA-256 recorded %s, stored bytes %s; not served",
            issue.pk,
            issue.log.name,
            issue.number,
            kind,
            checksum,
            computed,
        )
        file = "NHS workbook" if kind == "workbook" else "JSON snapshot"
        context = {"issue": issue, "file": file, "recorded": checksum, "computed": computed}
        return render(request, "hazardlog/change/issue_altered.html", context, status=409)
    name = get_valid_filename(f"{issue.log.name} hazard log issue {issue.number}.{extension}")
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=name)
    response["X-Content-SHA256"] = checksum
    return response


@require_GET
def issue_download(request, log_id, issue_id, kind):
    log = get_log_for_user(request.user, log_id)
    return issue_file_response(request, get_object_or_404(LogIssue, log=log, pk=issue_id), kind)


class CompareIssuesForm(forms.Form):
    """Two issues of one log; the older is compared with the newer whichever way round they are chosen."""

    def __init__(self, *args, issues_in_order, **kwargs):
        super().__init__(*args, **kwargs)
        choices = [("", "Choose an issue")] + [
            (str(issue.pk), f"Issue {issue.number} ({date_format(localtime(issue.approved_at), 'j M Y')})")
            for issue in issues_in_order
        ]
        self.fields["from"] = forms.ChoiceField(label="From issue", choices=choices)
        self.fields["to"] = forms.ChoiceField(label="To issue", choices=choices)
        self.helper = NHSFormHelper(submit_label="Compare")
        self.helper.form_method = "get"

    def clean(self):
        data = super().clean()
        if data.get("from") and data.get("from") == data.get("to"):
            self.add_error("to", "Choose a different issue from the first one.")
        return data


@require_GET
def issue_compare(request, log_id):
    log = get_log_for_user(request.user, log_id)
    in_order = _issues_in_order(log)
    asked = "from" in request.GET or "to" in request.GET
    form = CompareIssuesForm(request.GET if asked else None, issues_in_order=in_order)
    diff = None
    if asked and form.is_valid():
        by_id = {str(issue.pk): issue for issue in in_order}
        older, newer = sorted(
            (by_id[form.cleaned_data["from"]], by_id[form.cleaned_data["to"]]),
            key=lambda issue: issues.number_key(issue.number),
        )
        diff = issues.diff_issues(older, newer)
    context = {"log": log, "issues": in_order, "form": form, "diff": diff}
    return render(request, "hazardlog/change/issue_compare.html", context, status=200 if diff or not asked else 400)
