"""Who may open which page: anonymous people sign in first, non-members see nothing, roles limit changes."""

import pytest
from django.urls import reverse

from hazardlog.models import Membership, Role
from tests import factories


def page_urls(log, hazard):
    return [
        reverse("hazardlog:log_list"),
        reverse("hazardlog:log_create"),
        reverse("hazardlog:log_detail", args=[log.pk]),
        reverse("hazardlog:hazard_create", args=[log.pk]),
        reverse("hazardlog:hazard_detail", args=[log.pk, hazard.pk]),
        reverse("hazardlog:hazard_edit", args=[log.pk, hazard.pk]),
        reverse("hazardlog:matrix", args=[log.pk]),
        reverse("hazardlog:export", args=[log.pk, "nhs"]),
        reverse("hazardlog:import_upload", args=[log.pk]),
    ]


def test_anonymous_people_are_sent_to_sign_in_from_every_page(client, log):
    hazard = factories.make_hazard(log)
    for url in page_urls(log, hazard):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("login") + "?next="), url


def test_a_log_is_not_found_by_someone_who_is_not_a_member(client, log, django_user_model):
    hazard = factories.make_hazard(log)
    client.force_login(django_user_model.objects.create_user("outsider"))
    for url in page_urls(log, hazard)[2:]:
        assert client.get(url).status_code == 404, url


def test_a_hazard_of_another_log_is_not_found_through_this_one(client, member_log, user):
    other = factories.make_hazard(factories.make_log())
    client.force_login(user)
    assert client.get(reverse("hazardlog:hazard_detail", args=[member_log.pk, other.pk])).status_code == 404
    assert client.get(reverse("hazardlog:hazard_edit", args=[member_log.pk, other.pk])).status_code == 404


@pytest.mark.parametrize("name", ["hazard_create", "import_upload"])
def test_a_viewer_cannot_add_or_import(client, log, django_user_model, name):
    viewer = django_user_model.objects.create_user("viewer")
    Membership.objects.create(log=log, user=viewer, role=Role.VIEWER)
    client.force_login(viewer)
    assert client.get(reverse(f"hazardlog:{name}", args=[log.pk])).status_code == 403


def test_a_viewer_can_read_and_export_but_not_edit(client, log, django_user_model):
    hazard = factories.make_hazard(log)
    viewer = django_user_model.objects.create_user("viewer")
    Membership.objects.create(log=log, user=viewer, role=Role.VIEWER)
    client.force_login(viewer)
    page = client.get(reverse("hazardlog:log_detail", args=[log.pk])).content.decode()
    assert "Add a hazard" not in page and "Import a workbook" not in page
    assert client.get(reverse("hazardlog:hazard_detail", args=[log.pk, hazard.pk])).status_code == 200
    assert client.get(reverse("hazardlog:export", args=[log.pk, "csv"])).status_code == 200
    assert client.get(reverse("hazardlog:hazard_edit", args=[log.pk, hazard.pk])).status_code == 403
