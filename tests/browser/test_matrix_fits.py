"""The log's risk matrix page fits a phone: at 375 px wide the page does not scroll sideways (the grid
may scroll inside its own box)."""

import pytest
from django.urls import reverse

from tests import factories

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_nhs_matrix")]

NARROW = {"width": 375, "height": 800}


def page_width(page) -> int:
    return page.evaluate("() => document.documentElement.scrollWidth")


def test_the_logs_risk_matrix_page_fits_375_px(signed_in_page, user, member_log, screenshot):
    # Hazards make the counts links, whose visually hidden text once sat outside the grid's scrolling box.
    for n in range(1, 4):
        factories.make_hazard(member_log, f"H{n}")
    page = signed_in_page(user)
    page.set_viewport_size(NARROW)
    page.goto(reverse("hazardlog:matrix", args=[member_log.pk]))
    screenshot(page, "matrix-375")
    assert page_width(page) <= NARROW["width"]
