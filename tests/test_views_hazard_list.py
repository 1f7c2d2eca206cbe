"""A log's hazard list: filters, sort order, pages, and a query count that does not grow with the log."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from hazardlog.models import Cause, Control, ControlKind, ControlType, Hazard, HazardStatus, Stage
from tests import factories


def listed(client, log, **params) -> list[str]:
    response = client.get(reverse("hazardlog:log_detail", args=[log.pk]), params)
    assert response.status_code == 200
    return [row.hazard.reference for row in response.context["rows"]]


def quick_hazard(log, reference, initial=None, residual=None, **fields):
    """A hazard with only what the list shows, so that hundreds are quick to make."""
    fields.setdefault("name", f"Hazard {reference}")
    hazard = Hazard.objects.create(log=log, reference=reference, **fields)
    for stage, levels in ((Stage.INITIAL, initial), (Stage.RESIDUAL, residual)):
        if levels:
            factories.assess(hazard, stage, *levels)
    return hazard


@pytest.fixture
def signed_in(client, user):
    client.force_login(user)
    return client


def test_references_are_listed_in_natural_order(signed_in, member_log):
    for reference in ["H10", "H2", "H1", "EPMA-010", "EPMA-002"]:
        quick_hazard(member_log, reference)
    assert listed(signed_in, member_log) == ["EPMA-002", "EPMA-010", "H1", "H2", "H10"]
    assert listed(signed_in, member_log, sort="-reference") == ["H10", "H2", "H1", "EPMA-010", "EPMA-002"]


def test_it_sorts_by_a_rating_with_unassessed_hazards_lowest(signed_in, member_log):
    quick_hazard(member_log, "H1", residual=("Minor", "Very low"))  # 1
    quick_hazard(member_log, "H2", residual=("Catastrophic", "Very high"))  # 5
    quick_hazard(member_log, "H3")
    quick_hazard(member_log, "H4", residual=("Major", "Low"))  # 3
    assert listed(signed_in, member_log, sort="-residual") == ["H2", "H4", "H1", "H3"]
    assert listed(signed_in, member_log, sort="residual") == ["H3", "H1", "H4", "H2"]


def test_an_unknown_sort_falls_back_to_reference_order(signed_in, member_log):
    quick_hazard(member_log, "H10")
    quick_hazard(member_log, "H9")
    assert listed(signed_in, member_log, sort="password") == ["H9", "H10"]


def test_it_filters_by_status_owner_and_ratings(signed_in, member_log):
    quick_hazard(member_log, "H1", initial=("Major", "High"), residual=("Major", "Low"), owner="Supplier")  # 4 → 3
    quick_hazard(member_log, "H2", initial=("Major", "High"), residual=("Minor", "Low"), owner="Trust")  # 4 → 1
    quick_hazard(member_log, "H3", status=HazardStatus.CLOSED, status_reason="Fixed in 2.1", owner="Supplier")
    assert listed(signed_in, member_log, status="closed") == ["H3"]
    assert listed(signed_in, member_log, owner="Supplier") == ["H1", "H3"]
    assert listed(signed_in, member_log, initial_rating="4") == ["H1", "H2"]
    assert listed(signed_in, member_log, initial_rating="4", residual_rating="1") == ["H2"]


def test_it_filters_by_a_cell_of_the_matrix(signed_in, member_log):
    quick_hazard(member_log, "H1", initial=("Major", "High"), residual=("Major", "Low"))
    quick_hazard(member_log, "H2", initial=("Major", "Low"), residual=("Minor", "Low"))
    # Major is severity rank 4, Low is likelihood rank 2.
    assert listed(signed_in, member_log, initial_severity="4", initial_likelihood="2") == ["H2"]
    assert listed(signed_in, member_log, residual_severity="4", residual_likelihood="2") == ["H1"]


def test_it_filters_by_control_type_without_listing_a_hazard_twice(signed_in, member_log):
    tested = quick_hazard(member_log, "H1")
    for number in (1, 2):
        Control.objects.create(
            hazard=tested, number=number, description="Test", kind=ControlKind.ADDITIONAL, control_type=ControlType.TEST
        )
    withdrawn = quick_hazard(member_log, "H2")
    Control.objects.create(
        hazard=withdrawn,
        number=1,
        description="Old test",
        kind=ControlKind.ADDITIONAL,
        control_type=ControlType.TEST,
        withdrawn=True,
    )
    assert listed(signed_in, member_log, control_type="test") == ["H1"]


def test_the_search_looks_in_names_descriptions_causes_and_controls(signed_in, member_log):
    quick_hazard(member_log, "H1", description="Allergy banner hidden")
    by_cause = quick_hazard(member_log, "H2")
    Cause.objects.create(hazard=by_cause, number=1, description="Allergy feed down")
    Cause.objects.create(hazard=by_cause, number=2, description="allergy list truncated")
    by_control = quick_hazard(member_log, "H3")
    Control.objects.create(hazard=by_control, number=1, description="ALLERGY check at order", kind=ControlKind.EXISTING)
    quick_hazard(member_log, "H4", name="Unrelated")
    assert listed(signed_in, member_log, q="allergy") == ["H1", "H2", "H3"]
    assert listed(signed_in, member_log, q="UNRELATED") == ["H4"]


def test_a_filter_that_matches_nothing_says_so(signed_in, member_log):
    quick_hazard(member_log, "H1")
    response = signed_in.get(reverse("hazardlog:log_detail", args=[member_log.pk]), {"q": "nothing like this"})
    assert "No hazards match the filters." in response.content.decode()


def test_it_shows_50_hazards_a_page_keeping_the_filters_in_the_page_links(signed_in, member_log):
    for number in range(1, 56):
        quick_hazard(member_log, f"H{number}", owner="Supplier")
    assert listed(signed_in, member_log, owner="Supplier")[-1] == "H50"
    assert listed(signed_in, member_log, owner="Supplier", page="2") == [f"H{n}" for n in range(51, 56)]
    page = signed_in.get(reverse("hazardlog:log_detail", args=[member_log.pk]), {"owner": "Supplier"})
    assert 'href="?owner=Supplier&amp;page=2"' in page.content.decode()


def test_ratings_are_tags_in_the_matrix_colours_with_their_number_and_label(signed_in, member_log):
    quick_hazard(member_log, "H1", initial=("Catastrophic", "Very high"))
    page = signed_in.get(reverse("hazardlog:log_detail", args=[member_log.pk])).content.decode()
    assert f'class="nhsuk-tag hl-rating hl-rating--m{member_log.matrix_id}-5">5 Unacceptable</strong>' in page
    assert reverse("hazardlog:matrix_css", args=[member_log.matrix_id]) in page


def queries_for(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def fill(log, count):
    for number in range(1, count + 1):
        hazard = quick_hazard(log, f"H{number}", initial=("Major", "High"), residual=("Major", "Low"))
        Cause.objects.create(hazard=hazard, number=1, description="A cause")


def test_the_list_takes_the_same_number_of_queries_with_5_or_500_hazards(signed_in, member_log):
    url = reverse("hazardlog:log_detail", args=[member_log.pk])
    fill(member_log, 5)
    signed_in.get(url)  # the first page after signing in also renews the session (three more queries)
    with_5 = queries_for(signed_in, url)
    fill_more = factories.make_log()
    fill(fill_more, 1)  # another log's hazards change nothing either
    for number in range(6, 501):
        quick_hazard(
            member_log, f"H{number}", initial=("Major", "High"), residual=("Major", "Low"), owner=f"Owner {number}"
        )
    assert queries_for(signed_in, url) == with_5
    filtered = "?q=hazard&sort=-residual&status=open&initial_severity=4&initial_rating=4&page=3"
    # A search adds one query: the highlighted names and snippets of the page's hazards.
    assert queries_for(signed_in, url + filtered) == with_5 + 1
    assert with_5 <= 12


def test_a_filter_value_that_makes_no_sense_is_shown_and_ignored(signed_in, member_log):
    quick_hazard(member_log, "H1")
    response = signed_in.get(reverse("hazardlog:log_detail", args=[member_log.pk]), {"status": "lost", "owner": "Zed"})
    page = response.content.decode()
    assert response.status_code == 200
    assert [row.hazard.reference for row in response.context["rows"]] == ["H1"]
    assert page.count("Select a valid choice.") == 2
    assert "<title>Error: " not in page


def test_the_severity_and_likelihood_filters_appear_only_when_a_matrix_cell_set_them(signed_in, member_log):
    url = reverse("hazardlog:log_detail", args=[member_log.pk])
    assert 'name="initial_severity"' not in signed_in.get(url).content.decode()
    page = signed_in.get(url, {"initial_severity": "4", "initial_likelihood": "2"}).content.decode()
    assert '<option value="4" selected>Major</option>' in page
    assert '<option value="2" selected>Low</option>' in page
