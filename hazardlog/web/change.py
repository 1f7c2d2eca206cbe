"""Change control pages: the audit trail of a hazard and of a log, and the CSO-approved issues of a log
(approve, list, download exactly as approved, compare two)."""

import logging

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.http import Http404, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.http import content_disposition_header
from django.utils.text import get_valid_filename
from django.utils.timezone import localtime
from django.views.decorators.http import require_GET

from hazardlog import history, issues
from hazardlog.access import get_log_for_user
from hazardlog.forms_base import NHSFormHelper
from hazardlog.models import Hazard, LogIssue, Role
from safetycase import signing
from safetycase.models import FrozenReport
from safetycase.views import check_rows

logger = logging.getLogger(__name__)


class ApproveIssueForm(forms.Form):
    """The checks are the service's own (`issues.check_number`), run here too so that every problem shows at once.
    With completeness findings the form asks why the issue is approved with them; it always asks for the
    signer's password (checked by the view, through django-axes)."""

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

    password = forms.CharField(
        label="Your password",
        strip=False,
        max_length=4096,
        help_text="Entering your password again signs the approval in your name.",
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password", "class": "nhsuk-input--width-20"}),
        error_messages={"required": signing.NO_PASSWORD_MESSAGE},
    )

    def __init__(self, *args, log, findings: int = 0, **kwargs):
        super().__init__(*args, **kwargs)
        self.log = log
        if findings:
            self.fields["justification"] = forms.CharField(
                label="Why this issue is approved with these findings",
                max_length=signing.JUSTIFICATION_MAX_CHARS,
                help_text=(
                    f"The completeness checks found {findings} thing{'s' if findings != 1 else ''} to look at. "
                    "Your answer is kept with your signature and printed in the safety case report."
                ),
                widget=forms.Textarea(attrs={"rows": 4}),
                error_messages={"required": signing.JUSTIFICATION_REQUIRED_MESSAGE},
            )
            self.order_fields(["number", "meaning", "justification", "password"])
        self.helper = NHSFormHelper(submit_label="Sign and approve this issue")
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
    listed = (
        log.issues.select_related("approved_by", "signature")
        .defer("workbook", "snapshot")
        .prefetch_related(Prefetch("frozen_reports", queryset=FrozenReport.objects.defer("content")))
    )
    return sorted(listed, key=lambda issue: issues.number_key(issue.number))


def _issues_page(request, log):
    in_order = _issues_in_order(log)
    for issue in in_order:
        issue.frozen = {report.format: report for report in issue.frozen_reports.all()}
    # Newest first, each with the issue before it (for "what changed since").
    rows = list(zip(in_order, [None, *in_order], strict=False))[::-1]
    context = {
        "log": log,
        "rows": rows,
        "latest": in_order[-1] if in_order else None,
        "can_approve": log.user_role == Role.CSO,
        "next_numbers": issues.next_numbers(log),
        "open_reviews": signing.open_requests(log).count(),
        "recorded_reviews": signing.reviews_for_next_issue(log).count(),
    }
    return render(request, "hazardlog/change/issue_list.html", context)


@require_GET
def issue_list(request, log_id):
    log = get_log_for_user(request.user, log_id)
    return _issues_page(request, log)


def _approval_page(request, log, form, rows, status=200):
    user = request.user
    signatory = signing.signatory_of(user)
    context = {
        "log": log,
        "form": form,
        "rows": rows,
        "finding_count": sum(len(row["findings"]) for row in rows),
        "latest": issues.latest_issue(log),
        "next_numbers": issues.next_numbers(log),
        "recorded": signing.reviews_for_next_issue(log),
        "open_requests": signing.open_requests(log),
        "signatory": signatory,
        # Said before the form, not only after a refused approval.
        "no_full_name": "" if user.get_full_name() else issues.no_full_name_message(user),
        "no_signatory": not (signatory and signatory.complete),
    }
    return render(request, "safetycase/approve_issue.html", context, status=status)


def issue_approve(request, log_id):
    """The approval page: the completeness findings, the reviews since the latest issue, and the form that
    signs the approval with the password (and, with findings, says why the issue is approved with them)."""
    if request.method not in ("GET", "POST"):
        return HttpResponseNotAllowed(["GET", "POST"])
    log = get_log_for_user(request.user, log_id, Role.CSO)
    rows = check_rows(log)
    findings = sum(len(row["findings"]) for row in rows)
    if request.method == "GET":
        return _approval_page(request, log, ApproveIssueForm(log=log, findings=findings), rows)
    form = ApproveIssueForm(request.POST, log=log, findings=findings)
    if form.is_valid():
        if not signing.can_sign(request.user):
            full_name = request.user.get_full_name()
            form.add_error(
                None, signing.NO_SIGNATORY_MESSAGE if full_name else issues.no_full_name_message(request.user)
            )
        elif not signing.reauthenticate(request, form.cleaned_data["password"]):
            form.add_error("password", signing.WRONG_PASSWORD_MESSAGE)
        else:
            try:
                issue = issues.approve_issue(
                    log,
                    form.cleaned_data["number"],
                    form.cleaned_data["meaning"],
                    request.user,
                    justification=form.cleaned_data.get("justification", ""),
                    password_confirmed=True,
                )
            except ValidationError as error:
                # By field where the form has it; a justification the page did not ask for (findings that
                # appeared since it was shown) goes above the form, and the page now shows the field.
                by_field = error.error_dict if hasattr(error, "error_dict") else {None: error.error_list}
                for name, problems in by_field.items():
                    form.add_error(name if name in form.fields else None, problems)
            else:
                messages.success(request, f"Issue {issue.number} of this log is approved and signed.")
                return redirect("hazardlog:issue_list", log_id=log.pk)
    return _approval_page(request, log, form, rows, status=400)


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
