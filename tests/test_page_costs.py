"""What the busiest pages cost the database (issue 14.3, `make load`): the shape of their queries, not their
timings. Each of these was a cost that grew with the log or was paid for nothing."""

from datetime import UTC, datetime
from unittest import mock

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from hazardlog.models import Membership, Role
from tests import factories


@pytest.fixture
def signed_in(client, user):
    client.force_login(user)
    return client


def queries_of(client, url, **params) -> list[str]:
    client.get(url, params)  # the first request after signing in also renews the session
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url, params).status_code == 200
    return [query["sql"] for query in queries.captured_queries]


def test_the_log_list_counts_without_joining_each_hazard_to_its_log(signed_in, member_log, user):
    # Counting distinct hazards over logs × hazards × assessments sorted every assessment of every log
    # (on disk for a 10,000-hazard log); plain GROUP BYs read each table once.
    factories.make_hazard(member_log, "H1")
    other = factories.make_log()
    Membership.objects.create(log=other, user=user, role=Role.VIEWER)
    factories.make_hazard(other, "H1")
    queries = queries_of(signed_in, reverse("hazardlog:log_list"))
    counting = [sql for sql in queries if "COUNT(" in sql]
    assert counting
    assert not [sql for sql in counting if "DISTINCT" in sql or '"hazardlog_hazardlog"' in sql]


def test_the_list_looks_up_each_rating_without_joining_the_log(signed_in, member_log):
    factories.make_hazard(member_log, "H1")
    queries = queries_of(signed_in, reverse("hazardlog:log_detail", args=[member_log.pk]))
    (listed,) = [sql for sql in queries if '"initial_rating"' in sql and "COUNT(" not in sql]
    # The assessment's default ordering (by the log's name, then the hazard's reference) joined the hazard
    # and the log into the subquery run for every row shown.
    assert '"hazardlog_hazardlog"' not in listed


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the PostgreSQL highlighter")
def test_the_search_highlights_read_only_the_hazards_shown(signed_in, member_log):
    factories.make_hazard(member_log, "H1", name="Wrong dose shown")
    queries = queries_of(signed_in, reverse("hazardlog:log_detail", args=[member_log.pk]), q="dose")
    (highlighting,) = [sql for sql in queries if "ts_headline" in sql]
    assert "hazardlog_hazardlog" not in highlighting


def test_each_row_links_to_its_hazard_page(signed_in, member_log):
    hazards = [factories.make_hazard(member_log, reference) for reference in ("H1", "H2", "H10")]
    response = signed_in.get(reverse("hazardlog:log_detail", args=[member_log.pk]))
    links = {row.hazard.pk: row.href for row in response.context["rows"]}
    pages = {hazard.pk: reverse("hazardlog:hazard_detail", args=[member_log.pk, hazard.pk]) for hazard in hazards}
    assert links == pages
    for link in links.values():
        assert f'href="{link}"' in response.content.decode()


def test_the_last_updated_day_is_the_day_in_london(signed_in, member_log):
    # 23:30 UTC in summer is already the next day in London (BST); in winter it is the same day.
    for reference, saved_at in (
        ("H1", datetime(2026, 6, 30, 23, 30, tzinfo=UTC)),
        ("H2", datetime(2026, 12, 31, 23, 30, tzinfo=UTC)),
    ):
        with mock.patch("django.utils.timezone.now", return_value=saved_at):
            factories.make_hazard(member_log, reference)
    response = signed_in.get(reverse("hazardlog:log_detail", args=[member_log.pk]))
    assert [row.updated for row in response.context["rows"]] == ["1 Jul 2026", "31 Dec 2026"]
    assert "1 Jul 2026" in response.content.decode()


def test_the_owner_filter_offers_each_owner_of_the_log_once_in_order(signed_in, member_log):
    for reference, owner in (("H1", "Trust"), ("H2", "Supplier"), ("H3", ""), ("H4", "Trust"), ("H5", "Pharmacy")):
        factories.make_hazard(member_log, reference, owner=owner)
    factories.make_hazard(member_log, "H6", owner="Gone", entered_in_error=True, entered_in_error_reason="Duplicate")
    factories.make_hazard(factories.make_log(), "H1", owner="Elsewhere")
    url = reverse("hazardlog:log_detail", args=[member_log.pk])
    response = signed_in.get(url)
    assert list(response.context["filter"].form.fields["owner"].choices) == [
        ("", "Any owner"),
        ("Pharmacy", "Pharmacy"),
        ("Supplier", "Supplier"),
        ("Trust", "Trust"),
    ]
    # Found from the index one owner after another, not by reading every hazard for DISTINCT.
    assert not [sql for sql in queries_of(signed_in, url) if "DISTINCT" in sql]


def test_the_member_s_role_is_read_without_joining_the_log_on_every_page(signed_in, member_log):
    queries = queries_of(signed_in, reverse("hazardlog:log_detail", args=[member_log.pk]))
    (role,) = [sql for sql in queries if '"hazardlog_membership"."role"' in sql and "COUNT(" not in sql]
    # Membership's default ordering (by the log's name and standard) joined and sorted the log for one row.
    assert "JOIN" not in role and "ORDER BY" not in role
