"""Search results counted up to a limit (hazardlog/web/paging.py), on whichever database the suite runs.

A search matching more than MOST_COUNTED hazards lists the first MOST_COUNTED, in the order the list would
have shown them, and says so; the count stops early, without ranking. The limit is patched small here so
that generated states cross it without thousands of hazards.
"""

import re

import pytest
from django.core.paginator import Paginator
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hazardlog import presenters, search
from hazardlog.web import paging
from tests import factories

MATCHING = 7  # hazards the searches below can find


@pytest.fixture
def signed_in(client, user):
    client.force_login(user)
    return client


@pytest.fixture
def matching_log(member_log):
    # Names that rank differently: the word twice, in the name, or only in the description.
    for n in range(1, MATCHING + 1):
        name = "Dose dose shown" if n % 3 == 0 else ("Dose shown" if n % 3 == 1 else "Value shown")
        factories.make_hazard(member_log, f"H{n}", name=name, description="The dose differs from the order.")
    factories.make_hazard(member_log, "H99", name="Allergy banner", description="Banner hidden.")
    return member_log


def listed(client, log, **params) -> tuple[list[str], str]:
    """(references in the order listed, the status line) of the log's hazard list page."""
    response = client.get(reverse("hazardlog:log_detail", args=[log.pk]), params)
    assert response.status_code == 200
    html = response.content.decode()
    status = re.search(r'<p class="nhsuk-body" role="status">\s*(.*?)\s*</p>', html, re.DOTALL).group(1)
    references = [row.split("</span>")[1].split("<")[0] for row in html.split('aria-hidden="true">Ref. ')[1:]]
    return references, " ".join(status.split())


def test_a_search_matching_more_than_are_counted_lists_the_first_and_says_so(signed_in, matching_log, monkeypatch):
    everything, _ = listed(signed_in, matching_log, q="dose")
    assert len(everything) == MATCHING
    monkeypatch.setattr(paging, "MOST_COUNTED", 4)
    first, status = listed(signed_in, matching_log, q="dose")
    assert first == everything[:4]  # best match first, as without the limit
    assert status == (
        "More than 4 hazards match the filters: showing 1 to 4 of the first 4. "
        "To list the others, add words to the search or choose more filters."
    )
    # In another order chosen, the first in that order.
    by_name, _ = listed(signed_in, matching_log, q="dose", sort="-name")
    monkeypatch.setattr(paging, "MOST_COUNTED", 1_000)
    assert by_name == listed(signed_in, matching_log, q="dose", sort="-name")[0][:4]


def test_exactly_as_many_as_are_counted_is_an_exact_count(signed_in, matching_log, monkeypatch):
    monkeypatch.setattr(paging, "MOST_COUNTED", MATCHING)
    references, status = listed(signed_in, matching_log, q="dose")
    assert len(references) == MATCHING
    assert status == f"Showing 1 to {MATCHING} of {MATCHING} hazards that match the filters."


def test_without_a_search_every_hazard_is_counted(signed_in, matching_log, monkeypatch):
    monkeypatch.setattr(paging, "MOST_COUNTED", 2)
    references, status = listed(signed_in, matching_log, status="open")
    assert len(references) == MATCHING + 1
    assert status == f"Showing 1 to {MATCHING + 1} of {MATCHING + 1} hazards that match the filters."


def test_counting_a_search_neither_ranks_nor_reads_past_the_limit(signed_in, matching_log):
    with CaptureQueriesContext(connection) as queries:
        listed(signed_in, matching_log, q="dose")
    counts = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("SELECT COUNT(*)")]
    assert len(counts) == 1
    assert f"LIMIT {paging.MOST_COUNTED + 1}" in counts[0]
    for ranking in ("ts_rank", "bm25", "ORDER BY", "rating"):
        assert ranking not in counts[0]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    matches=st.integers(0, MATCHING),
    most=st.integers(1, MATCHING + 1),
    per_page=st.integers(1, 4),
    number=st.integers(1, 5),
)
def test_every_page_is_the_uncounted_list_cut_at_the_limit(matching_log, monkeypatch, matches, most, per_page, number):
    """Generated: any number of matches, limit, page size and page asked for."""
    monkeypatch.setattr(paging, "MOST_COUNTED", most)
    references = [f"H{n}" for n in range(1, matches + 1)]
    hazards = search.search(presenters.hazard_list(matching_log).filter(reference__in=references), "dose")
    hazards = hazards.order_by(f"-{search.RANK}", "reference_sort", "id")
    whole = list(hazards)
    assert len(whole) == matches
    page = paging.SearchPaginator(hazards, per_page).get_page(number)
    expected = Paginator(whole[:most], per_page).get_page(number)
    assert [h.pk for h in page.object_list] == [h.pk for h in expected.object_list]
    assert (page.number, page.paginator.count, page.paginator.num_pages) == (
        expected.number,
        expected.paginator.count,
        expected.paginator.num_pages,
    )
    assert page.paginator.more_than_counted == (matches > most)


def test_no_column_reads_as_sorted_while_a_search_comes_best_match_first(signed_in, matching_log):
    url = reverse("hazardlog:log_detail", args=[matching_log.pk])
    searched = signed_in.get(url, {"q": "dose"}).content.decode()
    assert 'aria-sort="ascending"' not in searched
    assert signed_in.get(url, {"q": "dose", "sort": "name"}).content.decode().count('aria-sort="ascending"') == 1
    assert signed_in.get(url, {"q": "  "}).content.decode().count('aria-sort="ascending"') == 1  # no search
    # The form always sends its first sort choice, Best match: without a search that is hazard number order.
    for q in ("", "dose\x00"):  # no search, or one the form refuses
        html = signed_in.get(url, {"q": q, "status": "", "sort": "relevance"}).content.decode()
        assert re.findall(r'aria-sort="ascending">\s*<a[^>]*>([^<]*)<', html) == ["Ref."]
    assert signed_in.get(url).content.decode().count('aria-sort="ascending"') == 1


def test_one_hazard_found_reads_in_the_singular(signed_in, matching_log):
    _, status = listed(signed_in, matching_log, q="allergy")
    assert status == "Showing 1 to 1 of 1 hazard that matches the filters."
