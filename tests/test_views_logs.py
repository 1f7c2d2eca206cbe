"""The hazard logs page and creating a log."""

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from hazardlog.models import HazardLog, HazardStatus, Membership, Role
from tests import factories


def test_it_lists_only_the_logs_the_user_belongs_to(client, member_log, user):
    factories.make_log(name="Somebody else's system")
    client.force_login(user)
    page = client.get(reverse("hazardlog:log_list")).content.decode()
    assert member_log.name in page
    assert "Somebody else&#x27;s system" not in page and "Somebody else's system" not in page


def test_it_counts_hazards_by_status_and_residual_rating(client, member_log, user):
    factories.make_hazard(member_log, "H1", residual=("Major", "Low"))  # 3
    factories.make_hazard(member_log, "H2", residual=("Major", "Low"), status=HazardStatus.CLOSED, status_reason="Done")
    factories.make_hazard(member_log, "H3", residual=("Minor", "Very low"))  # 1
    factories.make_hazard(member_log, "H4", residual=None)
    client.force_login(user)
    response = client.get(reverse("hazardlog:log_list"))
    (summary,) = response.context["logs"]
    assert summary.total == 4
    assert dict(summary.by_status) == {"Open": 3, "Transferred": 0, "Closed": 1}
    assert {rating.number: count for rating, count in summary.by_residual} == {5: 0, 4: 0, 3: 2, 2: 0, 1: 1}
    assert summary.not_assessed == 1
    assert "3 Undesirable" in response.content.decode()


def test_the_log_list_takes_the_same_number_of_queries_for_one_log_or_many(client, user):
    def count_queries():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("hazardlog:log_list")).status_code == 200
        return len(queries)

    client.force_login(user)
    Membership.objects.create(log=factories.make_log(), user=user, role=Role.CSO)
    one = count_queries()
    for _ in range(5):
        log = factories.make_log()
        Membership.objects.create(log=log, user=user, role=Role.EDITOR)
        factories.make_hazard(log)
    assert count_queries() == one


def test_creating_a_log_makes_the_creator_its_cso(client, creator):
    client.force_login(creator)
    response = client.post(
        reverse("hazardlog:log_create"),
        {
            "name": "Order comms",
            "standard": "DCB0160",
            "clinical_safety_officer": "Dr B",
            "matrix": factories.make_log().matrix_id,
            "version": "0.1",
            "version_date_day": "3",
            "version_date_month": "11",
            "version_date_year": "2026",
        },
    )
    log = HazardLog.objects.get(name="Order comms")
    assert response.status_code == 302
    assert response["Location"] == reverse("hazardlog:log_detail", args=[log.pk])
    assert log.standard == "DCB0160" and str(log.version_date) == "2026-11-03"
    assert Membership.objects.get(log=log, user=creator).role == Role.CSO
    assert log.history.first().history_user == creator


def test_a_log_form_with_errors_names_each_field(client, creator, log):
    client.force_login(creator)
    response = client.post(
        reverse("hazardlog:log_create"),
        {
            "name": "",
            "standard": "DCB0129",
            "matrix": log.matrix_id,
            "version_date_day": "31",
            "version_date_month": "2",
            "version_date_year": "2026",
        },
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "<title>Error: Create a hazard log" in page
    assert "Enter the system name" in page
    assert "Version date must be a real date" in page
    assert not HazardLog.objects.filter(standard="DCB0129").exclude(pk=log.pk).exists()


def test_a_second_log_for_the_same_system_and_standard_is_refused(client, creator, log):
    client.force_login(creator)
    response = client.post(
        reverse("hazardlog:log_create"), {"name": log.name, "standard": log.standard, "matrix": log.matrix_id}
    )
    assert f"This system name cannot be used for a {log.standard} hazard log" in response.content.decode()
    assert HazardLog.objects.filter(name=log.name).count() == 1


def test_a_cso_edits_the_cover_details_with_a_reason(client, user, member_log):
    client.force_login(user)
    url = reverse("hazardlog:log_edit", args=[member_log.pk])
    form = client.get(url).context["form"]
    data = {name: value for name, value in form.initial.items() if value is not None}
    data.update({"version": "1.2", "version_date_0": "1", "version_date_1": "12", "version_date_2": "2026"})
    response = client.post(url, data)
    assert response.status_code == 200
    assert "Enter the reason for the change" in response.content.decode()
    assert HazardLog.objects.get(pk=member_log.pk).version != "1.2"

    data["reason"] = "Version 1.2 for release 4.2"
    assert client.post(url, data).status_code == 302
    log = HazardLog.objects.get(pk=member_log.pk)
    assert log.version == "1.2"
    assert log.history.first().history_change_reason == "Version 1.2 for release 4.2"
    assert log.history.first().history_user == user


def test_only_a_cso_edits_the_cover_details(client, member_log, django_user_model):
    editor = django_user_model.objects.create_user("editor")
    Membership.objects.create(log=member_log, user=editor, role=Role.EDITOR)
    client.force_login(editor)
    assert client.get(reverse("hazardlog:log_edit", args=[member_log.pk])).status_code == 403


def test_counts_of_a_thousand_or_more_are_written_with_a_comma(client, member_log, user):
    # As the NHS style guide writes numbers: "1,001 hazards", not "1001 hazards".
    from simple_history.utils import bulk_create_with_history

    from hazardlog.models import Hazard
    from hazardlog.sorting import sort_text
    from hazardlog.text import reference_key

    references = [f"H{n}" for n in range(1, 1002)]
    bulk_create_with_history(
        [
            Hazard(log=member_log, reference=r, reference_key=reference_key(r), reference_sort=sort_text(r), name="x")
            for r in references
        ],
        Hazard,
        default_change_reason="Test data",
    )
    client.force_login(user)
    logs = " ".join(client.get(reverse("hazardlog:log_list")).content.decode().split())
    assert "1,001 in all: 1,001 open" in logs
    assert "× 1,001" in logs  # not assessed
    hazards = client.get(reverse("hazardlog:log_detail", args=[member_log.pk]), {"page": 21})
    hazards = " ".join(hazards.content.decode().split())
    assert "Showing 1,001 to 1,001 of 1,001 hazards" in hazards
