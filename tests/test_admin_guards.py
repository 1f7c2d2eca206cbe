"""What the admin must not allow: deleting people (their name would vanish from the history) and
editing a risk matrix that logs use (every assessment of those logs would be re-rated silently)."""

import pytest
from django.urls import reverse

from hazardlog.models import RiskCell
from tests import factories


@pytest.fixture
def staff(client, django_user_model):
    admin_user = django_user_model.objects.create_superuser("admin", "admin@example.nhs.uk", "a-long-password-1")
    client.force_login(admin_user)
    return client


def test_people_are_deactivated_not_deleted(staff, django_user_model):
    editor = django_user_model.objects.create_user("editor")
    assert staff.get(reverse("admin:auth_user_delete", args=[editor.pk])).status_code == 403
    changelist = staff.get(reverse("admin:auth_user_changelist"))
    assert "delete_selected" not in changelist.content.decode()
    assert django_user_model.objects.filter(pk=editor.pk).exists()


def test_a_matrix_in_use_cannot_be_changed_in_the_admin(staff, matrix):
    cell = RiskCell.objects.filter(matrix=matrix).first()
    url = reverse("admin:hazardlog_riskcell_change", args=[cell.pk])
    assert staff.get(url).context["has_change_permission"] is True  # no log uses it yet
    factories.make_log(matrix=matrix)
    page = staff.get(url)
    assert page.context["has_change_permission"] is False
    assert staff.post(url, {"rating": cell.rating_id}).status_code == 403
    matrix_page = staff.get(reverse("admin:hazardlog_riskmatrix_change", args=[matrix.pk]))
    assert matrix_page.context["has_change_permission"] is False
