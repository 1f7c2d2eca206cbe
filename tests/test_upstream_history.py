"""Every write of the hand-off keeps its history with user and reason, and nothing skips it."""

import pytest

from hazardlog.models.base import HardDeleteRefused, WriteWithoutHistoryRefused
from hazardlog.operations.integrity import find_problems, tracked_models
from tests import upstream_data
from upstream import services
from upstream.models import Applicability, Decision, Evaluation, TransferDecision, UpstreamSource


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("model", "field", "value"),
    [(Evaluation, "reason", "Changed without history"), (TransferDecision, "owner", "Changed without history")],
)
def test_queryset_update_is_refused(user, model, field, value):
    upstream_data.one_of_each(user)
    with pytest.raises(WriteWithoutHistoryRefused):
        model.objects.update(**{field: value})


@pytest.mark.django_db
def test_nothing_of_the_hand_off_is_deleted(user):
    source = upstream_data.one_of_each(user)
    for obj in (source, source.hazards.first(), Evaluation.objects.first(), TransferDecision.objects.first()):
        with pytest.raises(HardDeleteRefused):
            obj.delete()
    with pytest.raises(HardDeleteRefused):
        UpstreamSource.objects.all().delete()


@pytest.mark.django_db
def test_the_integrity_check_covers_the_hand_off_and_finds_it_whole(user):
    assert {UpstreamSource, Evaluation, TransferDecision} <= set(tracked_models())
    source = upstream_data.one_of_each(user)
    evaluation = Evaluation.objects.get(upstream_hazard__source=source, reference_key="h1")
    services.start_evaluation(evaluation, user)
    services.decide_applicability(evaluation, Applicability.YES, "", user)
    services.decide_transfer(
        evaluation.transfers.get(), {"decision": Decision.REJECTED, "reason": "Done centrally"}, user
    )
    assert find_problems() == []
    reasons = list(evaluation.history.order_by("history_id").values_list("history_change_reason", "history_user"))
    assert [reason for reason, _ in reasons] == [
        "Brought in Supplier Ltd Append-only supplier system version 1.0 (issue 1.0.json)",
        "Evaluation of Supplier Ltd Append-only supplier system hazard H1 started",
        "Applicability: Applies to this deployment",
    ]
    assert {who for _, who in reasons} == {user.pk}


@pytest.mark.django_db
def test_the_integrity_check_finds_an_altered_file_and_the_download_refuses_it(user, client):
    from django.db import connection
    from django.urls import reverse

    source = upstream_data.one_of_each(user)
    if connection.vendor == "postgresql":
        pytest.skip("PostgreSQL refuses the alteration itself (upstream migration 0002)")
    with connection.cursor() as cursor:
        cursor.execute("UPDATE upstream_upstreamsource SET content = %s WHERE id = %s", [b"{}", source.pk])
    assert [str(p) for p in find_problems()] == [
        f"upstream.UpstreamSource {source.pk}: its file does not match the SHA-256 recorded when brought in"
    ]
    client.force_login(user)
    response = client.get(reverse("upstream:source_download", args=[source.log_id, source.pk]))
    assert response.status_code == 409 and source.sha256 in response.content.decode()
