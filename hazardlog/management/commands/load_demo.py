"""`manage.py load_demo`: the NHS risk matrix, the MedChart ePMA demo log and a login to explore them.

loaddata writes no history of its own (see handle). Afterwards every loaded record gets the history
row a normal save would have written, but only where its history does not already show its current
state: running the command again adds nothing, and a reload that undoes edits to the demo is recorded.
"""

from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import transaction
from django.test.utils import override_settings
from simple_history.utils import get_history_manager_for_model, get_m2m_reverse_field_name

from hazardlog import nhs_matrix, risk
from hazardlog.models import (
    Cause,
    Control,
    Hazard,
    HazardLog,
    LikelihoodLevel,
    Membership,
    RiskAssessment,
    RiskCell,
    RiskMatrix,
    RiskRating,
    Role,
    SeverityLevel,
    Standard,
)
from safetycase.demo import load_demo_safety_case
from upstream.demo import load_upstream_demo

DEMO_LOG = ("MedChart ePMA", Standard.DCB0129)  # natural key of the log in fixtures/demo_log.json
FIXTURES = ["nhs_risk_matrix", "demo_log", "resources"]


class Command(BaseCommand):
    help = "Load the NHS risk matrix and the demo hazard log, and make the given user its CSO. Safe to repeat."

    def add_arguments(self, parser):
        parser.add_argument("--username", required=True)
        parser.add_argument("--password", required=True)

    @transaction.atomic
    def handle(self, *args, username, password, **options):
        user = demo_user(username, password)
        # loaddata saves raw, which simple-history ignores, but it sets many-to-many fields through their
        # manager, which simple-history records with no user or reason: history is off while it loads.
        with override_settings(SIMPLE_HISTORY_ENABLED=False):
            call_command("loaddata", *FIXTURES, verbosity=0)
        log = HazardLog.objects.get_by_natural_key(*DEMO_LOG)
        matrix = RiskMatrix.objects.get_by_natural_key(nhs_matrix.NAME)

        matrix_records = [
            RiskMatrix.objects.filter(pk=matrix.pk),
            SeverityLevel.objects.filter(matrix=matrix),
            LikelihoodLevel.objects.filter(matrix=matrix),
            RiskRating.objects.filter(matrix=matrix),
            RiskCell.objects.filter(matrix=matrix),
        ]
        log_records = [
            HazardLog.objects.filter(pk=log.pk),
            Hazard.objects.filter(log=log),
            Cause.objects.filter(hazard__log=log),
            Control.objects.filter(hazard__log=log),
            RiskAssessment.objects.filter(hazard__log=log),
        ]
        written = 0
        for querysets, what in ((matrix_records, "NHS risk matrix"), (log_records, "Demo data")):
            for queryset in querysets:
                new, changed = record_history(queryset, user, what)
                written += len(new) + len(changed)
                if queryset.model is RiskCell:
                    # The fixture may have put back a rating someone had changed: assessments follow the cell.
                    for cell in changed:
                        risk.rerate_cell(cell)

        membership = Membership.objects.filter(log=log, user=user).first() or Membership(log=log, user=user)
        if membership.role != Role.CSO:
            membership.role = Role.CSO
            membership._history_user = user
            membership._change_reason = "Demo login made Clinical Safety Officer of the demo log"
            membership.save()

        safety_case = load_demo_safety_case(log, user)
        self.stdout.write(load_upstream_demo(log, user))

        self.stdout.write(
            self.style.SUCCESS(f"Loaded the demo hazard log {log} with {log.hazards.count()} hazards")
            + f" ({written} history rows written). {safety_case}"
        )
        self.stdout.write(
            f"Sign in as '{user.username}' with the password given: a superuser, and the Clinical Safety "
            f"Officer of {log}."
        )


def demo_user(username: str, password: str):
    user, _ = get_user_model().objects.get_or_create(username=username)
    user.is_active = user.is_staff = user.is_superuser = True
    # An issue is approved in the approver's own name: the demo login is the demo log's named CSO.
    if not user.get_full_name():
        user.first_name, user.last_name = "Priya", "Raman"
    user.set_password(password)
    user.save()
    return user


def record_history(queryset, user, what: str) -> tuple[list, list]:
    """Write a history row for each record whose latest history row is missing or out of date.

    Uses simple-history's own bulk writer (as populate_history does), then fills the many-to-many
    history tables, which that writer leaves empty. Returns the records given a first row and the
    records whose history was out of date.
    """
    history = get_history_manager_for_model(queryset.model)
    rows_in_order = history.filter(id__in=queryset.values("pk")).order_by("history_date", "history_id")
    latest = {row.id: row for row in rows_in_order}  # the last row of each record wins
    new, changed = [], []
    for record in queryset:
        row = latest.get(record.pk)
        if row is None:
            new.append(record)
        elif _state(row, history.model, of_history=True) != _state(record, history.model):
            changed.append(record)
    for records, update, reason in ((new, False, f"{what} loaded"), (changed, True, f"{what} reloaded")):
        if records:
            rows = history.bulk_history_create(records, update=update, default_user=user, default_change_reason=reason)
            _copy_many_to_many(rows, records, history.model)
    return new, changed


def _state(item, history_model, of_history=False) -> tuple:
    """The tracked values of a record or of a history row, with the ids its many-to-many fields point at."""
    # A hazard's revision is moved by the database whenever anything under it is written (migration 0008),
    # without a history row: it is a concurrency token, not part of the record's state.
    values = [getattr(item, field.attname) for field in history_model.tracked_fields if field.attname != "revision"]
    for field in history_model._history_m2m_fields:
        related_id = f"{get_m2m_reverse_field_name(field)}_id" if of_history else "pk"
        values.append(frozenset(getattr(item, field.name).values_list(related_id, flat=True)))
    return tuple(values)


def _copy_many_to_many(rows, records, history_model) -> None:
    """What simple-history's post_save does for many-to-many fields: copy the links into the history."""
    for field in history_model._history_m2m_fields:
        m2m_history = getattr(history_model, field.name).model
        through = field.remote_field.through
        links = [
            m2m_history(history=row, **{f.attname: getattr(link, f.attname) for f in through._meta.fields})
            for row, record in zip(rows, records, strict=True)
            for link in through.objects.filter(**{field.m2m_field_name(): record})
        ]
        m2m_history.objects.bulk_create(links)  # untracked: a history table, which has no history of its own
