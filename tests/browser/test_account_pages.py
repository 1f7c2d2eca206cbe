"""The pages a person meets when signing in goes wrong: locked out, and password reset switched off."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_the_locked_out_page_says_when_to_try_again(browser_page, user, axe_check, screenshot):
    page = browser_page
    page.goto(reverse("login"))
    for attempt in range(5):
        page.get_by_label("Username").fill(user.username)
        page.get_by_label("Password").fill(f"wrong-{attempt}")
        page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign-in locked for 15 minutes")
    expect(page.locator("main")).to_contain_text("Try again after")
    axe_check(page)
    screenshot(page, "locked-out")


def test_password_reset_without_email_says_whom_to_ask(browser_page, axe_check, settings):
    settings.EMAIL_HOST = ""
    page = browser_page
    page.goto(reverse("login"))
    page.get_by_role("link", name="Forgotten your password?").click()
    expect(page.locator("main")).to_contain_text("Ask your administrator to set a new password")
    axe_check(page)
