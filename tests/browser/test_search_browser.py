"""Searching the hazard list in a browser: results best first, the words found marked (and nothing the
hazards hold run as markup), on a phone and on a desktop, with axe checks."""

import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from hazardlog.models import Cause, Membership, Role
from tests import factories

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_nhs_matrix")]
PHONE = {"width": 375, "height": 812}


@pytest.fixture
def viewer(django_user_model):
    return django_user_model.objects.create_user("viewer", password="correct-horse-battery-staple")


def test_a_search_lists_the_best_match_first_with_the_words_marked(signed_in_page, viewer, axe_check, screenshot):
    log = factories.make_log(name="ePMA")
    Membership.objects.create(log=log, user=viewer, role=Role.VIEWER)
    factories.make_hazard(log, "H1", name="Wrong patient selected", description="Warfarin given to the wrong patient")
    factories.make_hazard(log, "H2", name="Warfarin dose shown in the wrong units")
    other = factories.make_hazard(log, "H3", name='Allergy <script>document.title="owned"</script> banner')
    Cause.objects.create(hazard=other, number=3, description="Warfarin interaction table out of date")
    factories.make_hazard(log, "H4", name="Unrelated hazard")

    page = signed_in_page(viewer)
    page.goto(reverse("hazardlog:log_detail", args=[log.pk]))
    page.get_by_text("Filter and search hazards").click()
    page.get_by_label("Search").fill("warfarin")
    page.get_by_role("button", name="Apply filters").click()

    expect(page.get_by_role("status")).to_contain_text("Showing 1 to 3 of 3 hazards that match the filters")
    links = page.locator(".hl-hazard-table tbody tr td:nth-child(2) a")
    expect(links).to_have_text(
        [
            "Warfarin dose shown in the wrong units",
            "Wrong patient selected",
            'Allergy <script>document.title="owned"</script> banner',
        ]
    )
    expect(page.locator("mark.hl-mark").first).to_have_text("Warfarin")
    snippet = page.locator(".hl-hazard-table tbody tr").nth(2).locator("p")
    expect(snippet).to_contain_text(re.compile(r"^Causes: .*Warfarin interaction table out of date", re.DOTALL))
    assert "owned" not in page.title()
    axe_check(page)
    screenshot(page, "hazard-search")

    page.set_viewport_size(PHONE)
    expect(page.locator("mark.hl-mark").first).to_be_visible()
    axe_check(page)
    screenshot(page, "hazard-search-phone")


def test_a_search_in_fts_syntax_is_answered(signed_in_page, viewer):
    log = factories.make_log()
    Membership.objects.create(log=log, user=viewer, role=Role.VIEWER)
    factories.make_hazard(log, "H-12", name="Warfarin dose")
    page = signed_in_page(viewer)
    for query in ['"warfarin', "NEAR(warfarin", "warfarin OR", "*", "12"]:
        response = page.goto(reverse("hazardlog:log_detail", args=[log.pk]) + "?q=" + query.replace('"', "%22"))
        assert response.status == 200, query
    expect(page.locator(".hl-hazard-table")).to_contain_text("H-12")


def test_a_search_matching_more_than_are_counted_says_how_to_list_the_others(
    signed_in_page, viewer, axe_check, screenshot, monkeypatch
):
    from hazardlog.web import paging

    monkeypatch.setattr(paging, "MOST_COUNTED", 3)
    log = factories.make_log(name="ePMA")
    Membership.objects.create(log=log, user=viewer, role=Role.VIEWER)
    for n in range(1, 6):
        factories.make_hazard(log, f"H{n}", name=f"Warfarin dose {n} shown in the wrong units")
    page = signed_in_page(viewer)
    page.goto(reverse("hazardlog:log_detail", args=[log.pk]) + "?q=warfarin")
    expect(page.get_by_role("status")).to_have_text(
        "More than 3 hazards match the filters: showing 1 to 3 of the first 3. "
        "To list the others, add words to the search or choose more filters."
    )
    expect(page.locator(".hl-hazard-table tbody tr")).to_have_count(3)
    axe_check(page)
    screenshot(page, "hazard-search-more-than-counted")
