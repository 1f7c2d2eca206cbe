"""A log's Clinical Safety Officers manage its members; everyone else can only see them."""

import pytest
from django.urls import reverse

from hazardlog.models import Membership, Role


@pytest.fixture
def colleague(django_user_model):
    return django_user_model.objects.create_user(
        username="pharmacist", email="pharmacist@example.nhs.uk", password="x-long-password-1"
    )


def test_members_see_who_works_on_the_log(client, user, member_log):
    client.force_login(user)
    response = client.get(reverse("hazardlog:member_list", args=[member_log.pk]))
    assert response.status_code == 200
    assert "Alex Clinician (you)" in response.content.decode()


def test_a_cso_adds_a_member_with_a_role(client, user, member_log, colleague):
    client.force_login(user)
    response = client.post(
        reverse("hazardlog:member_add", args=[member_log.pk]),
        {"username": "Pharmacist", "email": "Pharmacist@example.nhs.uk", "role": Role.EDITOR},
    )
    assert response.status_code == 302
    assert Membership.objects.get(log=member_log, user=colleague).role == Role.EDITOR


def test_adding_an_unknown_user_names_the_field(client, user, member_log):
    client.force_login(user)
    response = client.post(
        reverse("hazardlog:member_add", args=[member_log.pk]),
        {"username": "nobody", "email": "nobody@example.nhs.uk", "role": "viewer"},
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "No active account has both this username and this e-mail address." in page
    assert 'href="#id_username"' in page
    assert "<title>Error: " in page
    assert Membership.objects.filter(log=member_log).count() == 1


def test_a_cso_changes_a_role_and_removes_a_member(client, user, member_log, colleague):
    membership = Membership.objects.create(log=member_log, user=colleague, role=Role.VIEWER)
    client.force_login(user)
    url = reverse("hazardlog:member_change", args=[member_log.pk, membership.pk])
    client.post(url, {"action": "change", "role": Role.EDITOR})
    membership.refresh_from_db()
    assert membership.role == Role.EDITOR
    client.post(url, {"action": "remove"})
    assert not Membership.objects.filter(pk=membership.pk).exists()


def test_the_last_cso_cannot_leave_the_log_without_one(client, user, member_log):
    own = Membership.objects.get(log=member_log, user=user)
    client.force_login(user)
    url = reverse("hazardlog:member_change", args=[member_log.pk, own.pk])
    response = client.post(url, {"action": "change", "role": Role.VIEWER}, follow=True)
    assert "only Clinical Safety Officer" in response.content.decode()
    client.post(url, {"action": "remove"})
    own.refresh_from_db()
    assert own.role == Role.CSO


@pytest.mark.parametrize("role", [Role.EDITOR, Role.VIEWER])
def test_only_a_cso_manages_members(client, member_log, colleague, role):
    Membership.objects.create(log=member_log, user=colleague, role=role)
    client.force_login(colleague)
    response = client.post(reverse("hazardlog:member_add", args=[member_log.pk]), {"username": "cso", "role": "viewer"})
    assert response.status_code == 403
    page = client.get(reverse("hazardlog:member_list", args=[member_log.pk])).content.decode()
    assert "Add a member" not in page
