"""No lost updates: two people edit the same hazard in two browsers; the second save is refused with a
page that shows the other person's change and theirs, and nothing is overwritten silently."""

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from playwright.sync_api import expect

from hazardlog.models import Hazard, Membership, Role
from tests import factories
from tests.browser.conftest import DESKTOP

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_nhs_matrix")]


def second_browser(browser, live_server, user):
    """Another person's browser: its own context, signed in as `user`, requests kept on the live server."""
    client = Client()
    client.force_login(user)
    context = browser.new_context(base_url=live_server.url, viewport=DESKTOP)
    context.route(
        "**/*", lambda route: route.continue_() if route.request.url.startswith(live_server.url) else route.abort()
    )
    context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )
    return context


def save_with(page, name, reason):
    page.get_by_label("Hazard name").fill(name)
    page.get_by_label("Reason for the change").fill(reason)
    page.get_by_role("button", name="Save hazard").last.click()


def test_the_second_save_shows_both_changes_and_overwrites_nothing(
    browser, live_server, signed_in_page, django_user_model, axe_check, screenshot
):
    alex = django_user_model.objects.create_user("alex", first_name="Alex", last_name="Reed")
    sam = django_user_model.objects.create_user("sam", first_name="Sam", last_name="Jones")
    log = factories.make_log()
    for person in (alex, sam):
        Membership.objects.create(log=log, user=person, role=Role.EDITOR)
    hazard = factories.make_hazard(log, "H1")
    edit = reverse("hazardlog:hazard_edit", args=[log.pk, hazard.pk])

    mine = signed_in_page(alex)
    mine.goto(edit)
    theirs_context = second_browser(browser, live_server, sam)
    theirs = theirs_context.new_page()
    theirs.goto(edit)

    save_with(theirs, "Their name for it", "Sam's review")
    expect(theirs.get_by_role("heading", level=1)).to_contain_text("H1")
    theirs_context.close()

    save_with(mine, "My name for it", "Alex's review")
    expect(mine).to_have_title("Error: Edit hazard H1 – " + log.name + " – Hazard Log – NHS")
    callout = mine.locator("#conflict")
    expect(callout).to_contain_text("Sam Jones saved this hazard after you opened it.")
    expect(mine.get_by_role("heading", name="Their changes")).to_be_visible()
    expect(mine.locator("main")).to_contain_text("Sam's review")
    expect(mine.get_by_role("heading", name="Your changes")).to_be_visible()
    expect(mine.get_by_label("Hazard name")).to_have_value("My name for it")
    assert Hazard.objects.get(pk=hazard.pk).name == "Their name for it"
    axe_check(mine)
    screenshot(mine, "conflict-desktop")

    # Having seen both, saving again replaces their version, with a new reason in the history.
    mine.get_by_label("Reason for the change").fill("Alex's review, after reading Sam's")
    mine.get_by_role("button", name="Save hazard").last.click()
    expect(mine.get_by_role("heading", level=1)).to_contain_text("H1")
    assert Hazard.objects.get(pk=hazard.pk).name == "My name for it"
    assert list(Hazard.history.filter(id=hazard.pk).values_list("history_change_reason", flat=True)[:2]) == [
        "Alex's review, after reading Sam's",
        "Sam's review",
    ]
