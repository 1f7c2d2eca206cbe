"""Signing an issue in the browser: the CSO enters their signature details, asks a member for a review, the
reviewer records it, and the CSO approves with findings: refused without the password and without saying why,
then signed. Every page passes axe."""

import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from hazardlog.models import LogIssue, Membership, Role
from safetycase.models import IssueSignature, Review
from tests import factories

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_nhs_matrix")]
PASSWORD = "correct-horse-battery-staple"


@pytest.fixture
def people(django_user_model):
    cso = django_user_model.objects.create_user("cso", password=PASSWORD, first_name="Priya", last_name="Raman")
    reviewer = django_user_model.objects.create_user("rev", password=PASSWORD, first_name="Sam", last_name="Adeyemi")
    log = factories.make_log(name="MedChart ePMA")
    Membership.objects.create(log=log, user=cso, role=Role.CSO)
    Membership.objects.create(log=log, user=reviewer, role=Role.EDITOR)
    factories.make_hazard(log, "EPMA-001", name="Wrong patient selected")
    return log, cso, reviewer


def test_signature_details_then_a_review(signed_in_page, people, axe_check, screenshot):
    log, cso, reviewer = people
    page = signed_in_page(cso)
    page.goto(reverse("safetycase:signature_details"))
    page.get_by_role("button", name="Save signature details").click()
    expect(page.locator(".nhsuk-error-summary")).to_contain_text("Enter your registration number")
    expect(page).to_have_title(re.compile("^Error: "))
    axe_check(page)
    page.get_by_label("Professional body").fill("GPhC")
    page.get_by_label("Registration number").fill("2012345")
    page.get_by_label("Job title").fill("Lead Pharmacist")
    page.get_by_label("Reason for the change").fill("My registration")
    page.get_by_role("button", name="Save signature details").click()
    expect(page.get_by_text("Your signature details are saved.")).to_be_visible()
    axe_check(page)
    screenshot(page, "signature-details")

    page.goto(reverse("safetycase:reviews", args=[log.pk]))
    page.get_by_label("Who should review it").select_option(label="Sam Adeyemi (rev)")
    page.get_by_label("What to look at").fill("The pilot wards' hazards")
    page.get_by_role("button", name="Ask for a review").click()
    expect(page.get_by_text("Sam Adeyemi is asked to review the draft.")).to_be_visible()
    axe_check(page)

    page = signed_in_page(reviewer)
    page.goto(reverse("safetycase:safety_case", args=[log.pk]))
    page.get_by_role("link", name="Record your review").click()
    expect(page.get_by_text("The pilot wards' hazards")).to_be_visible()
    page.get_by_role("button", name="Record my review").click()
    expect(page.locator(".nhsuk-error-summary")).to_contain_text("Choose the outcome of your review")
    axe_check(page)
    page.get_by_label("Content reviewed").check()
    page.get_by_label("Comments").fill("All twelve hazards read against the ward processes.")
    screenshot(page, "review-record")
    page.get_by_role("button", name="Record my review").click()
    expect(page.get_by_role("cell", name="Sam Adeyemi")).to_be_visible()
    axe_check(page)
    screenshot(page, "reviews")
    assert Review.objects.get().recorded


def test_the_cso_signs_with_the_password_and_says_why_with_findings(signed_in_page, people, axe_check, screenshot):
    log, cso, reviewer = people
    factories.make_signatory(cso, "GPhC", "2012345", "Lead Pharmacist")
    from safetycase import signing
    from safetycase.models import ReviewOutcome

    signing.record_review(signing.request_review(log, reviewer, "", cso), ReviewOutcome.REVIEWED, "Read", reviewer)
    page = signed_in_page(cso)
    page.goto(reverse("hazardlog:issue_list", args=[log.pk]))
    page.get_by_role("link", name="Review and approve a new issue").click()
    expect(page.get_by_role("heading", name="Completeness findings")).to_be_visible()
    expect(page.get_by_text("EPMA-001: the initial risk assessment has no rationale.")).to_be_visible()
    expect(page.get_by_text("Sam Adeyemi").first).to_be_visible()
    axe_check(page)
    screenshot(page, "approve-issue")

    page.get_by_label("Issue number").fill("1.0")
    page.get_by_label("What this approval means").fill("Approved for the pilot release")
    page.get_by_role("button", name="Sign and approve this issue").click()
    summary = page.locator(".nhsuk-error-summary")
    expect(summary).to_contain_text("Enter why this issue is approved with these findings")
    expect(summary).to_contain_text("Enter your password to sign the approval")
    axe_check(page)
    screenshot(page, "approve-issue-errors")
    assert not LogIssue.objects.exists()

    page.get_by_label("Why this issue is approved with these findings").fill("Rationales follow with the pilot.")
    page.get_by_label("Your password").fill("not my password")
    page.get_by_role("button", name="Sign and approve this issue").click()
    expect(page.locator(".nhsuk-error-summary")).to_contain_text("The password is not right")
    assert not LogIssue.objects.exists()

    page.get_by_label("Your password").fill(PASSWORD)
    page.get_by_role("button", name="Sign and approve this issue").click()
    expect(page.get_by_text("Issue 1.0 of this log is approved and signed.")).to_be_visible()
    expect(page.get_by_text("Priya Raman (GPhC 2012345), Lead Pharmacist")).to_be_visible()
    expect(page.get_by_text("Rationales follow with the pilot.")).to_be_visible()
    axe_check(page)
    screenshot(page, "issue-signed")
    signature = IssueSignature.objects.get()
    assert signature.password_confirmed and signature.reviewers[0]["name"] == "Sam Adeyemi"
