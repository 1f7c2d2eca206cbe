"""A half-typed hazard: Enter in a one-line box does not save it; a hazard saved by mistake is marked as
entered in error by the CSO (with a reason), kept, and left out of the list, the counts and the exports."""

import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from hazardlog.models import Hazard, Membership, Role
from tests import factories

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_nhs_matrix")]


@pytest.fixture
def cso(django_user_model):
    return django_user_model.objects.create_user(
        "cso", password="correct-horse-battery-staple", first_name="Ada", last_name="Lovelace"
    )


def test_enter_in_a_one_line_box_does_not_save_the_hazard(signed_in_page, cso):
    log = factories.make_log()
    Membership.objects.create(log=log, user=cso, role=Role.CSO)
    page = signed_in_page(cso)
    page.goto(reverse("hazardlog:hazard_create", args=[log.pk]))
    name = page.get_by_label("Hazard name")
    name.fill("Wrong pati")
    name.press("Enter")
    page.wait_for_timeout(500)  # a submission would have navigated by now
    expect(page).to_have_url(re.compile(re.escape(reverse("hazardlog:hazard_create", args=[log.pk])) + "$"))
    expect(name).to_have_value("Wrong pati")
    assert not Hazard.objects.filter(log=log).exists()
    # The page's own Save button still saves.
    page.get_by_role("button", name="Save hazard").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Wrong pati")
    assert Hazard.objects.filter(log=log, name="Wrong pati").exists()


def test_a_cso_marks_a_hazard_entered_in_error_and_restores_it(signed_in_page, cso, axe_check, screenshot):
    log = factories.make_log()
    Membership.objects.create(log=log, user=cso, role=Role.CSO)
    kept = factories.make_hazard(log, "H1", name="Wrong patient record displayed")
    mistake = factories.make_hazard(log, "H2", name="Wrong pati")
    page = signed_in_page(cso)
    page.goto(reverse("hazardlog:hazard_detail", args=[log.pk, mistake.pk]))
    page.get_by_role("link", name=re.compile("^Mark as entered in error")).click()
    page.get_by_role("button", name="Mark as entered in error").click()
    expect(page.locator(".nhsuk-error-summary")).to_contain_text("Enter why the hazard was entered in error")
    axe_check(page)
    page.get_by_label("Why was this hazard entered in error?").fill("Saved half-typed by pressing Enter")
    page.get_by_role("button", name="Mark as entered in error").click()
    expect(page.locator(".nhsuk-warning-callout")).to_contain_text("Saved half-typed by pressing Enter")
    axe_check(page)
    screenshot(page, "hazard-entered-in-error")

    page.goto(reverse("hazardlog:log_detail", args=[log.pk]))
    expect(page.get_by_role("status")).to_contain_text("of 1 hazard")
    expect(page.get_by_role("link", name=kept.name)).to_be_visible()
    page.get_by_text("1 hazard entered in error, not listed").click()
    screenshot(page, "log-with-a-hazard-entered-in-error")
    axe_check(page)
    page.get_by_role("link", name="H2 Wrong pati").click()
    page.get_by_role("link", name="Restore this hazard to the log").click()
    page.get_by_label("Why is this hazard part of the log again?").fill("Marked by mistake")
    page.get_by_role("button", name="Restore the hazard").click()
    expect(page.locator(".nhsuk-warning-callout")).to_have_count(0)
    assert not Hazard.objects.get(pk=mistake.pk).entered_in_error
    reasons = list(Hazard.history.filter(id=mistake.pk).values_list("history_change_reason", flat=True)[:2])
    assert reasons == ["Marked by mistake", "Saved half-typed by pressing Enter"]
