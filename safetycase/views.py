"""Pages of a log's safety case: the sections, related documents and test issues, the completeness
checks, and the safety case report of an approved issue. Viewers read, editors edit, the CSO writes the
summary safety statement."""

import logging
import re

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.safestring import mark_safe
from django.utils.text import get_valid_filename
from django.views.decorators.http import require_GET

from hazardlog import issues
from hazardlog.access import can, get_log_for_user
from hazardlog.models import Hazard, LogIssue, Role
from hazardlog.text import reference_key
from resources.guidance import render_markdown

from . import services, signing
from .checks import run_checks
from .forms import (
    DetailsForm,
    RelatedDocumentForm,
    ReviewRecordForm,
    ReviewRequestForm,
    SectionForm,
    SignatoryForm,
    TestIssueForm,
)
from .models import RelatedDocument, TestIssue
from .report import REPORT_FORMATS, FrozenReportAltered, PdfUnavailable, draft_report, frozen_report
from .sections import SECTIONS, SECTIONS_BY_SLUG

logger = logging.getLogger(__name__)

# The heading ids the guidance's renderer gives (its table of contents) would repeat across sections that
# share a heading such as "Scope"; the page's own section ids are the anchors.
_HEADING_ID = re.compile(r'\sid="[^"]*"')
# A section's own headings sit one level below the section's title (## in the text is an <h3> on the page).
_HEADING_TAG = re.compile(r"<(/?)h([234])>")


def _html(text: str):
    html = _HEADING_ID.sub("", render_markdown(text)[0])
    html = _HEADING_TAG.sub(lambda match: f"<{match[1]}h{int(match[2]) + 1}>", html)
    return mark_safe(html)  # noqa: S308 (sanitised by nh3 in render_markdown)


@login_required
@require_GET
def safety_case(request, log_id):
    log = get_log_for_user(request.user, log_id)
    case = services.safety_case_of(log)
    sections = [
        {
            "section": s,
            "html": _html(getattr(case, s.slug)),
            "hint": s.hint_for(log.standard),
            "can_edit": can(log.user_role, s.role),
        }
        for s in SECTIONS
    ]
    context = {
        "log": log,
        "case": case,
        "sections": sections,
        "ratings": log.matrix.ratings.order_by("number"),
        "documents": log.related_documents.all(),
        "test_issues": log.test_issues.all(),
        "can_edit": can(log.user_role, Role.EDITOR),
        "own_review": signing.open_requests(log).filter(reviewer=request.user).exists(),
    }
    return render(request, "safetycase/safety_case.html", context)


@login_required
def section_edit(request, log_id, section):
    if section not in SECTIONS_BY_SLUG:
        raise Http404("No such section.")
    section = SECTIONS_BY_SLUG[section]
    log = get_log_for_user(request.user, log_id, section.role)
    case = services.safety_case_of(log)
    form = SectionForm(
        request.POST if request.method == "POST" else None,
        initial={"text": getattr(case, section.slug)},
        section=section,
        standard=log.standard,
    )
    if request.method == "POST" and form.is_valid():
        services.save_safety_case(
            log, {section.slug: form.cleaned_data["text"]}, request.user, form.cleaned_data["reason"]
        )
        messages.success(request, f"“{section.title}” saved.")
        return redirect(reverse("safetycase:safety_case", args=[log.pk]) + f"#section-{section.slug}")
    context = {"log": log, "form": form, "section": section}
    return render(request, "safetycase/section_edit.html", context, status=400 if form.errors else 200)


@login_required
def details_edit(request, log_id):
    log = get_log_for_user(request.user, log_id, Role.EDITOR)
    form = DetailsForm(request.POST if request.method == "POST" else None, instance=services.safety_case_of(log))
    if request.method == "POST" and form.is_valid():
        values = {name: form.cleaned_data[name] for name in DetailsForm.Meta.fields}
        services.save_safety_case(log, values, request.user, form.cleaned_data["reason"])
        messages.success(request, "Report details saved.")
        return redirect("safetycase:safety_case", log.pk)
    context = {"log": log, "form": form, "title": "Report details"}
    return render(request, "safetycase/record_form.html", context, status=400 if form.errors else 200)


def _record_page(request, log, form_class, instance, title, form_kwargs=None):
    form = form_class(request.POST if request.method == "POST" else None, instance=instance, **(form_kwargs or {}))
    if request.method == "POST" and form.is_valid():
        record = form.save(commit=False)
        record.log = log
        services.save_record(record, request.user, form.cleaned_data["reason"])
        messages.success(request, f"{title} saved.")
        return redirect("safetycase:safety_case", log.pk)
    context = {"log": log, "form": form, "title": title}
    return render(request, "safetycase/record_form.html", context, status=400 if form.errors else 200)


@login_required
def document_edit(request, log_id, document_id=None):
    log = get_log_for_user(request.user, log_id, Role.EDITOR)
    document = get_object_or_404(RelatedDocument, log=log, pk=document_id) if document_id else None
    return _record_page(request, log, RelatedDocumentForm, document, "Related document")


@login_required
def test_issue_edit(request, log_id, test_issue_id=None):
    log = get_log_for_user(request.user, log_id, Role.EDITOR)
    test_issue = get_object_or_404(TestIssue, log=log, pk=test_issue_id) if test_issue_id else None
    return _record_page(request, log, TestIssueForm, test_issue, "Test issue", {"log": log})


def _fix_link(log, finding, hazard_ids: dict, test_issue_ids: dict) -> str:
    if finding.hazard and reference_key(finding.hazard) in hazard_ids:
        return reverse("hazardlog:hazard_edit", args=[log.pk, hazard_ids[reference_key(finding.hazard)]])
    if finding.section:
        return reverse("safetycase:section_edit", args=[log.pk, finding.section])
    if finding.test_issue in test_issue_ids:
        return reverse("safetycase:test_issue_edit", args=[log.pk, test_issue_ids[finding.test_issue]])
    return ""


def check_rows(log) -> list[dict]:
    """The completeness checks of the log as it is now, each finding with the link to the page that fixes it."""
    results = run_checks(services.live_case(log))
    hazard_ids = dict(Hazard.objects.filter(log=log).values_list("reference_key", "pk"))
    test_issue_ids = dict(log.test_issues.values_list("reference", "pk"))
    return [
        {
            "result": result,
            "findings": [(f, _fix_link(log, f, hazard_ids, test_issue_ids)) for f in result.findings],
        }
        for result in results
    ]


@login_required
@require_GET
def checks(request, log_id):
    log = get_log_for_user(request.user, log_id)
    rows = check_rows(log)
    context = {"log": log, "rows": rows, "finding_count": sum(len(r["findings"]) for r in rows)}
    return render(request, "safetycase/checks.html", context)


@login_required
@require_GET
def report_download(request, log_id, issue_id, report_format):
    """The issue's frozen report, checked against its SHA-256 before it is served (409 if altered)."""
    log = get_log_for_user(request.user, log_id)
    if report_format not in REPORT_FORMATS:
        raise Http404("No such report format.")
    issue = get_object_or_404(LogIssue, log=log, pk=issue_id)
    try:
        report = frozen_report(issue, report_format)
    except PdfUnavailable as error:
        return render(request, "safetycase/report_unavailable.html", {"log": log, "message": str(error)}, status=503)
    except FrozenReportAltered as error:
        logger.critical(
            "Frozen report id=%s (%s issue %s, %s) altered: SHA-256 recorded %s, stored bytes %s; not served",
            error.report.pk,
            log.name,
            issue.number,
            report_format,
            error.report.sha256,
            error.computed,
        )
        context = {
            "issue": issue,
            "file": f"safety case report ({report_format.upper()})",
            "recorded": error.report.sha256,
            "computed": error.computed,
        }
        return render(request, "hazardlog/change/issue_altered.html", context, status=409)
    name = get_valid_filename(f"{log.name} clinical safety case report issue {issue.number}.{report_format}")
    response = HttpResponse(bytes(report.content), content_type=REPORT_FORMATS[report_format])
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=name)
    response["X-Content-SHA256"] = report.sha256
    return response


@login_required
@require_GET
def report_preview(request, log_id):
    """The report the next issue would have, generated now and marked DRAFT: nothing is stored."""
    log = get_log_for_user(request.user, log_id)
    name = get_valid_filename(f"{log.name} clinical safety case report DRAFT {timezone.localdate():%Y-%m-%d}.docx")
    response = HttpResponse(draft_report(log), content_type=REPORT_FORMATS["docx"])
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=name)
    return response


# Signature details and reviews -----------------------------------------------------------------------


@login_required
def signature_details(request):
    signatory = signing.signatory_of(request.user)
    form = SignatoryForm(request.POST if request.method == "POST" else None, instance=signatory)
    if request.method == "POST" and form.is_valid():
        values = {name: form.cleaned_data[name] for name in SignatoryForm.Meta.fields}
        signing.save_signatory(request.user, values, form.cleaned_data["reason"])
        messages.success(request, "Your signature details are saved. Issues you sign from now on show them.")
        return redirect("safetycase:signature_details")
    context = {"form": form, "signatory": signatory}
    return render(request, "safetycase/signature_details.html", context, status=400 if form.errors else 200)


def _members(log):
    users = get_user_model().objects.filter(memberships__log=log, is_active=True)
    return users.order_by("first_name", "last_name", "username")


def _reviews_context(log, user) -> dict:
    latest = issues.latest_issue(log)
    return {
        "log": log,
        "latest": latest,
        "open_requests": signing.open_requests(log),
        "recorded": signing.reviews_for_next_issue(log),
        "own_request": signing.open_requests(log).filter(reviewer=user).first(),
        "can_request": can(log.user_role, Role.EDITOR),
    }


@login_required
def reviews(request, log_id):
    """The reviews of the draft of the next issue; a CSO or an editor asks a member for one."""
    log = get_log_for_user(request.user, log_id)
    form = None
    if can(log.user_role, Role.EDITOR):
        members = _members(log).exclude(pk=request.user.pk)
        form = ReviewRequestForm(request.POST if request.method == "POST" else None, members=members)
    elif request.method == "POST":
        raise PermissionDenied("Only a Clinical Safety Officer or an editor of this log can ask for a review.")
    if request.method == "POST" and form.is_valid():
        review = signing.request_review(log, form.cleaned_data["reviewer"], form.cleaned_data["note"], request.user)
        messages.success(request, f"{issues.approver_name(review.reviewer)} is asked to review the draft.")
        return redirect("safetycase:reviews", log.pk)
    context = _reviews_context(log, request.user) | {"form": form}
    return render(request, "safetycase/reviews.html", context, status=400 if form and form.errors else 200)


@login_required
def review_record(request, log_id):
    """The signed-in member records the review they were asked for (the oldest open one, if several)."""
    log = get_log_for_user(request.user, log_id)
    review = signing.open_requests(log).filter(reviewer=request.user).order_by("requested_at", "pk").first()
    if review is None:
        messages.info(request, "You have no review to record for this log.")
        return redirect("safetycase:reviews", log.pk)
    form = ReviewRecordForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        signing.record_review(review, form.cleaned_data["outcome"], form.cleaned_data["comments"], request.user)
        messages.success(request, "Your review is recorded. It will be listed with the next issue.")
        return redirect("safetycase:reviews", log.pk)
    context = {"log": log, "review": review, "form": form, "latest": issues.latest_issue(log)}
    return render(request, "safetycase/review_record.html", context, status=400 if form.errors else 200)
