"""Signing in and out in a real browser: the first journey every CSO takes."""

import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from tests.browser.conftest import DESKTOP, PHONE

pytestmark = pytest.mark.browser

NHS_BLUE = "rgb(0, 94, 184)"


def at(path: str) -> re.Pattern:
    """The page's URL is `path` on the live server, with or without a query string."""
    return re.compile(rf"^https?://[^/]+{re.escape(path)}(\?.*)?$")


def test_a_cso_signs_in_and_out(browser_page, user, axe_check, screenshot):
    page = browser_page

    page.goto(reverse("hazardlog:log_list"))
    expect(page).to_have_url(at(reverse("login")))
    expect(page).to_have_title("Sign in – Hazard Log – NHS")
    # The NHS.UK stylesheet and JavaScript were served by the live server and applied.
    expect(page.locator(".nhsuk-header")).to_have_css("background-color", NHS_BLUE)
    expect(page.locator("body")).to_have_class("js-enabled nhsuk-frontend-supported")
    axe_check(page)
    screenshot(page, "sign-in-desktop")
    page.set_viewport_size(PHONE)
    axe_check(page)
    screenshot(page, "sign-in-phone")
    page.set_viewport_size(DESKTOP)

    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill("not-the-password")
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_title("Error: Sign in – Hazard Log – NHS")
    summary = page.locator(".nhsuk-error-summary")
    expect(summary).to_be_focused()
    expect(summary.get_by_role("link")).to_have_text(
        "Please enter a correct username and password. Note that both fields may be case-sensitive."
    )
    summary.get_by_role("link").click()
    expect(page.get_by_label("Username")).to_be_focused()
    axe_check(page)
    screenshot(page, "sign-in-error")

    page.get_by_label("Password").fill("correct-horse-battery-staple")
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(at(reverse("hazardlog:log_list")))
    account = page.get_by_role("navigation", name="Account")
    expect(account).to_contain_text(user.get_full_name())  # shown by name when the account has one
    axe_check(page)

    account.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(at(reverse("login")))
    expect(page.locator("main")).to_contain_text("You have signed out.")
    expect(page.get_by_role("button", name="Sign out")).to_have_count(0)
    page.goto(reverse("hazardlog:log_list"))
    expect(page).to_have_url(at(reverse("login")))
