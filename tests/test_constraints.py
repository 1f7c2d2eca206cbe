"""Rules the data keeps whatever writes it: checked by clean() for a clear message, and by the database
for code that skips clean(). Each database refusal runs in its own atomic block so the test goes on."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction

from hazardlog.models import Control, ControlKind, ControlType, Hazard, HazardStatus, RiskAssessment, Stage
from hazardlog.text import CELL_MAX_CHARS
from tests import factories


def new_hazard(log, reference, **fields):
    return Hazard(log=log, reference=reference, name="Allergy not displayed", **fields)


def messages(error: ValidationError, field: str) -> str:
    return " ".join(error.message_dict[field])


@pytest.mark.parametrize("duplicate", ["H1", "h1", " h1", "H1 ", "  h1  "])
def test_a_reference_already_in_the_log_is_refused_in_any_case_or_spacing(log, duplicate):
    factories.make_hazard(log, "H1")
    with pytest.raises(ValidationError) as refused:
        new_hazard(log, duplicate).full_clean()
    assert "already in this log" in messages(refused.value, "reference")


@pytest.mark.parametrize("duplicate", ["h1", " h1", "H1 "])
def test_the_database_refuses_a_duplicate_reference_when_clean_is_skipped(log, duplicate):
    factories.make_hazard(log, "H1")
    with pytest.raises(IntegrityError), transaction.atomic():
        new_hazard(log, duplicate).save()
    assert Hazard.objects.filter(log=log).count() == 1


def test_the_same_reference_is_allowed_in_another_log(log):
    factories.make_hazard(log, "H1")
    other_log = factories.make_log()
    hazard = new_hazard(other_log, "H1")
    hazard.full_clean()
    hazard.save()
    assert Hazard.objects.filter(reference="H1").count() == 2


@pytest.mark.parametrize(
    ("reference", "message"),
    [
        ("H\u200b1", "invisible character (U+200B)"),
        ("\u200bH1", "invisible character (U+200B)"),
        ("Ｈ1", "lookalike character"),
        ("H１", "lookalike character"),
        ("EPMA-Н1", "mixes letters from different alphabets (Cyrillic, Latin)"),
        ("Н1", "Cyrillic letters"),
        ("Η1", "Greek letters"),
    ],
)
def test_references_that_could_pass_for_another_are_refused(log, reference, message):
    factories.make_hazard(log, "H1")
    with pytest.raises(ValidationError) as refused:
        new_hazard(log, reference).full_clean()
    assert message in messages(refused.value, "reference")


def test_a_second_initial_assessment_is_refused_by_the_database(log):
    hazard = factories.make_hazard(log, initial=("Major", "Low"))
    with pytest.raises(IntegrityError), transaction.atomic():
        RiskAssessment.objects.create(
            hazard=hazard,
            stage=Stage.INITIAL,
            severity=log.matrix.severity_levels.get(name="Minor"),
            likelihood=log.matrix.likelihood_levels.get(name="Low"),
        )
    assert hazard.assessments.filter(stage=Stage.INITIAL).count() == 1


@pytest.fixture
def other_matrix(matrix):
    return factories.copy_matrix(matrix, "Another trust's matrix")


def test_clean_refuses_levels_from_another_matrix(log, other_matrix):
    hazard = factories.make_hazard(log, initial=None, residual=None)
    assessment = RiskAssessment(
        hazard=hazard,
        stage=Stage.INITIAL,
        severity=other_matrix.severity_levels.get(name="Major"),
        likelihood=other_matrix.likelihood_levels.get(name="Low"),
    )
    with pytest.raises(ValidationError) as refused:
        assessment.full_clean()
    assert "this log's risk matrix" in messages(refused.value, "severity")
    assert "this log's risk matrix" in messages(refused.value, "likelihood")


def test_the_database_trigger_refuses_a_severity_from_another_matrix(log, other_matrix):
    assessment = factories.make_hazard(log, initial=("Major", "Low")).assessment(Stage.INITIAL)
    foreign = other_matrix.severity_levels.get(name="Major")
    with pytest.raises(IntegrityError) as refused, transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "UPDATE hazardlog_riskassessment SET severity_id = %s WHERE id = %s", [foreign.pk, assessment.pk]
        )
    assert "own risk matrix" in str(refused.value)
    assert RiskAssessment.objects.get(pk=assessment.pk).severity.matrix == log.matrix


def test_the_database_trigger_refuses_a_rating_that_is_not_the_cell(log):
    assessment = factories.make_hazard(log, initial=("Major", "Low")).assessment(Stage.INITIAL)
    assessment.rating = log.matrix.ratings.get(number=1)
    # save_base is what save() ends in, without the model's own save() that looks the rating up.
    with pytest.raises(IntegrityError) as refused, transaction.atomic():
        RiskAssessment.save_base(assessment, raw=True)
    assert "own risk matrix" in str(refused.value)
    assert RiskAssessment.objects.get(pk=assessment.pk).rating.number == 3


def test_the_database_trigger_refuses_a_new_assessment_with_a_wrong_rating(log):
    hazard = factories.make_hazard(log, initial=None, residual=None)
    assessment = RiskAssessment(
        hazard=hazard,
        stage=Stage.RESIDUAL,
        severity=log.matrix.severity_levels.get(name="Catastrophic"),
        likelihood=log.matrix.likelihood_levels.get(name="Very high"),
        rating=log.matrix.ratings.get(number=2),
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        RiskAssessment.save_base(assessment, raw=True)
    assert not hazard.assessments.exists()


@pytest.mark.parametrize("status", [HazardStatus.CLOSED, HazardStatus.TRANSFERRED])
def test_a_closed_or_transferred_hazard_needs_a_reason(log, status):
    with pytest.raises(ValidationError) as refused:
        new_hazard(log, "H7", status=status, status_reason="  ").full_clean()
    assert f"Enter why the hazard is {status.label.lower()}" in messages(refused.value, "status_reason")

    with pytest.raises(IntegrityError), transaction.atomic():
        new_hazard(log, "H7", status=status, status_reason="").save()
    assert not Hazard.objects.filter(reference="H7").exists()


def test_an_open_hazard_needs_no_reason(log):
    hazard = new_hazard(log, "H8")
    hazard.full_clean()
    hazard.save()


def test_an_additional_control_needs_a_type(log):
    hazard = factories.make_hazard(log)
    control = Control(hazard=hazard, number=9, description="Dose-range check", kind=ControlKind.ADDITIONAL)
    with pytest.raises(ValidationError) as refused:
        control.full_clean()
    assert "type of this additional control" in messages(refused.value, "control_type")

    with pytest.raises(IntegrityError), transaction.atomic():
        control.save()
    assert not hazard.controls.filter(number=9).exists()

    control.control_type = ControlType.DESIGN
    control.full_clean()


def test_an_existing_control_needs_no_type(log):
    hazard = factories.make_hazard(log)
    Control(hazard=hazard, number=9, description="Patient banner", kind=ControlKind.EXISTING).full_clean()


def test_text_longer_than_a_spreadsheet_cell_is_refused(log):
    too_long = "x" * (CELL_MAX_CHARS + 1)
    with pytest.raises(ValidationError) as refused:
        new_hazard(log, "H9", description=too_long).full_clean()
    assert f"at most {CELL_MAX_CHARS} characters" in messages(refused.value, "description")

    with pytest.raises(IntegrityError), transaction.atomic():
        new_hazard(log, "H9", description=too_long).save()
    assert not Hazard.objects.filter(reference="H9").exists()


def test_text_that_just_fits_a_cell_is_kept(log):
    fits = "x" * CELL_MAX_CHARS
    hazard = new_hazard(log, "H9", description=fits)
    hazard.full_clean()
    hazard.save()
    assert len(Hazard.objects.get(pk=hazard.pk).description) == CELL_MAX_CHARS
