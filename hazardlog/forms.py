"""Forms of the web app: a new log (its cover page), and the hazard form with its causes, controls and
two risk assessments.

Every message names its field, so the error summary at the top of the page can stand alone.
"""

from django import forms
from django.conf import settings
from django.core.validators import MaxLengthValidator
from django.template.defaultfilters import filesizeformat

from hazardlog.access import logs_for
from hazardlog.forms_base import NHSFormHelper
from hazardlog.models import (
    Cause,
    Control,
    ControlKind,
    ControlType,
    Hazard,
    HazardLog,
    HazardStatus,
    RiskMatrix,
    Stage,
)
from hazardlog.presenters import control_title
from hazardlog.text import CELL_MAX_CHARS
from hazardlog.widgets import NHSDateField

# What each status means (DCB0129 Implementation Guidance, Table 5), shown under each choice.
STATUS_HINTS = {
    HazardStatus.OPEN: "Not all clinical risk management actions owned by the manufacturer are complete.",
    HazardStatus.TRANSFERRED: "The manufacturer's actions are complete; the deploying organisation's are not.",
    HazardStatus.CLOSED: "All clinical risk management actions for this hazard are complete.",
}

IMPORT_SUFFIXES = (".xlsx", ".xlsm")
OUT_OF_DATE = "This page is out of date: reload it and make your change again."


def _textarea(rows: int = 3) -> forms.Textarea:
    return forms.Textarea(attrs={"rows": rows})


def _require(field: forms.Field, message: str) -> None:
    field.required = True
    field.error_messages["required"] = message


# --- Hazard logs -------------------------------------------------------------------------------------


class LogForm(forms.ModelForm):
    """A new hazard log: the NHS template's cover-page fields."""

    version_date = NHSDateField(label="Version date", required=False)

    class Meta:
        model = HazardLog
        fields = [
            "name",
            "standard",
            "clinical_safety_officer",
            "matrix",
            "programme",
            "sub_programme",
            "programme_director",
            "owner",
            "author",
            "document_reference",
            "document_status",
            "version",
            "version_date",
            "purpose",
        ]
        widgets = {"standard": forms.RadioSelect, "purpose": _textarea(4)}
        labels = {"name": "System name", "matrix": "Risk matrix"}
        help_texts = {
            "clinical_safety_officer": "The registered clinician who approves each issue of this log.",
            "matrix": "The risk acceptability criteria of your Clinical Risk Management Plan.",
        }

    def __init__(self, *args, user, editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.existing_log = None  # the user's own log of the same system and standard, for a link to it
        _require(self.fields["name"], "Enter the system name")
        self.fields["standard"].error_messages["required"] = "Choose the standard this log is kept under"
        self.fields["standard"].choices = [c for c in self.fields["standard"].choices if c[0]]
        complete = [m.pk for m in RiskMatrix.objects.all() if m.is_complete]
        matrix = self.fields["matrix"]
        matrix.queryset = RiskMatrix.objects.filter(pk__in=complete)
        matrix.empty_label = None
        matrix.error_messages["required"] = "Choose the risk matrix"
        if editing:
            matrix.help_text += " Choosing another matrix re-rates every assessment in the log."
            self.fields["reason"] = forms.CharField(
                label="Reason for the change",
                widget=_textarea(2),
                help_text="Kept in the log's history, for example 'Version 1.2 for release 4.2'.",
                error_messages={"required": "Enter the reason for the change"},
                validators=[MaxLengthValidator(2000)],
            )
        self.helper = NHSFormHelper(submit_label="Save log details" if editing else "Create hazard log")

    def clean(self):
        data = super().clean()
        name, standard = data.get("name"), data.get("standard")
        if not (name and standard):
            return data
        others = HazardLog.objects.exclude(pk=self.instance.pk) if self.instance.pk else HazardLog.objects.all()
        existing = others.filter(name__iexact=name.strip(), standard=standard).first()
        if existing is None:
            return data
        if logs_for(self.user).filter(pk=existing.pk).exists():
            self.existing_log = existing
            self.add_error("name", f"You are already a member of the {standard} hazard log for {existing.name}")
        else:
            # Another team's log: one system and standard have one log (a database constraint), so the name
            # is refused, but without saying that a log has it.
            self.add_error(
                "name",
                f"This system name cannot be used for a {standard} hazard log. Make it more specific, for example "
                "with your organisation's name, or ask your administrator",
            )
        return data


# --- The hazard form ---------------------------------------------------------------------------------


class HazardForm(forms.ModelForm):
    """The hazard's own fields. For an edit it also asks why, and carries the revision it was opened at."""

    class Meta:
        model = Hazard
        fields = [
            "reference",
            "name",
            "description",
            "clinical_impact",
            "hazard_type",
            "actions",
            "owner",
            "status",
            "status_reason",
        ]
        widgets = {
            "description": _textarea(4),
            "clinical_impact": _textarea(3),
            "actions": _textarea(3),
            "status_reason": _textarea(2),
            "status": forms.RadioSelect,
        }
        help_texts = {
            "reference": "For example H12. References must be unique in this log.",
            "description": "What can go wrong, in the system or in the way it is used.",
            "clinical_impact": "What could happen to a patient as a result.",
            "hazard_type": "For example patient identification, clinical decision support or data integrity.",
            "owner": "Who is responsible for the hazard's actions.",
            "status_reason": "Needed when the hazard is closed or transferred: why, and to whom.",
        }

    def __init__(self, *args, editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        _require(self.fields["reference"], "Enter the hazard number")
        _require(self.fields["name"], "Enter the hazard name")
        self.fields["status"].choices = HazardStatus.choices
        self.fields["status"].error_messages["required"] = "Choose the hazard's status"
        if editing:
            self.fields["reason"] = forms.CharField(
                label="Reason for the change",
                widget=_textarea(2),
                help_text="Kept in the hazard's history, for example 'Residual risk reviewed after UAT'.",
                error_messages={"required": "Enter the reason for the change"},
                validators=[MaxLengthValidator(2000)],
            )
            self.fields["revision"] = forms.IntegerField(widget=forms.HiddenInput)
            # When the page was opened: on a conflict, the changes made since are shown.
            self.fields["opened_at"] = forms.DateTimeField(widget=forms.HiddenInput, required=False)

    def status_options(self) -> list[tuple]:
        """Each status radio with what the status means."""
        return [(radio, STATUS_HINTS[radio.data["value"]]) for radio in self["status"]]


class _ItemForm(forms.ModelForm):
    """A cause or control in a formset. A new one left untouched is ignored; a current one can be
    removed (withdrawn, never deleted), and then needs no description."""

    title = ""

    def __init__(self, *args, key, **kwargs):
        super().__init__(*args, **kwargs)
        self.key = key
        self.withdrawing = False
        if self.is_new:
            del self.fields["withdraw"]
        elif self.is_bound:
            self.withdrawing = self.fields["withdraw"].widget.value_from_datadict(
                self.data, self.files, self.add_prefix("withdraw")
            )
            self.fields["description"].required = not self.withdrawing

    @property
    def is_new(self) -> bool:
        return self.instance.pk is None

    @property
    def is_blank(self) -> bool:
        """A new form nobody filled in: nothing is saved for it."""
        return self.is_new and not self.has_changed()


class CauseForm(_ItemForm):
    """One cause. Its `key` is its number: the stored one, or for a new cause the next free one."""

    withdraw = forms.BooleanField(
        label="Remove this cause", required=False, help_text="It is kept in the history, marked as withdrawn."
    )

    class Meta:
        model = Cause
        fields = ["description"]
        widgets = {"description": _textarea(2)}

    def __init__(self, *args, key=None, **kwargs):
        super().__init__(*args, key=key, **kwargs)
        if not self.is_new:
            self.key = self.instance.number
        self.title = f"Cause {self.key}"
        self.fields["description"].label = self.title
        self.fields["description"].error_messages["required"] = f"Describe cause {self.key}"


class ControlForm(_ItemForm):
    """One existing or additional control, with the causes it answers (by their numbers on the page).
    Its `key` is its position among the controls of its kind."""

    answers = forms.TypedMultipleChoiceField(
        label="Causes it answers",
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "nhsuk-checkboxes--small"}),
    )
    withdraw = forms.BooleanField(
        label="Remove this control", required=False, help_text="It is kept in the history, marked as withdrawn."
    )
    evidence_url = forms.URLField(label="Evidence link", required=False, max_length=500, assume_scheme="https")

    class Meta:
        model = Control
        fields = ["description", "control_type", "owner", "implementation_status", "evidence", "evidence_url"]
        widgets = {"description": _textarea(2), "evidence": _textarea(2)}
        labels = {"implementation_status": "Status"}
        help_texts = {
            "owner": "For example the manufacturer or the deploying organisation.",
            "evidence": "How the control's implementation and effectiveness were verified.",
        }

    def __init__(self, *args, kind: str, causes: list[tuple[int, str]], key=None, **kwargs):
        super().__init__(*args, key=key, **kwargs)
        self.kind = kind
        # A saved control is named by its number, as on the hazard page and in its history; a new one has none yet.
        if self.is_new:
            self.title = f"{ControlKind(kind).label} control {key}"
        else:
            self.title = control_title(self.instance.number, kind, self.instance.control_type)
        self.fields["description"].label = "Description"
        self.fields["description"].error_messages["required"] = f"Describe {self.title.lower()}"
        self.fields["answers"].choices = causes
        if not self.is_new:
            self.initial.setdefault("answers", [c.number for c in self.instance.causes.all()])
        control_type = self.fields["control_type"]
        control_type.choices = [("", "Choose a type"), *ControlType.choices]
        if kind == ControlKind.EXISTING:
            control_type.help_text = "The NHS template gives existing controls no type."
        else:
            control_type.required = True
            control_type.error_messages["required"] = f"Choose the type of additional control {key}"

    def _post_clean(self):
        # The kind is not a form field, but the model's own checks need it.
        self.instance.kind = self.kind
        super()._post_clean()
        # A missing type is reported by the form; the model's check would say it again in other words.
        if "control_type" in self._errors:
            del self._errors["control_type"].data[1:]


class _ItemFormSet(forms.BaseInlineFormSet):
    def __init__(self, *args, extra: int = 0, **kwargs):
        self.extra = extra
        super().__init__(*args, **kwargs)

    def clean(self):
        # Django checks a posted id against every row of the table, and a form whose id is not one of
        # this formset's rows (withdrawn since, or tampered with) silently becomes a new record.
        stale = [form for form in self.initial_forms if form.is_new]
        if stale:
            for form in stale:
                form.errors.pop("id", None)  # "Select a valid choice" would say the same, less clearly
            raise forms.ValidationError(OUT_OF_DATE, code="out_of_date")

    @property
    def new_form(self):
        """The last form when it is new and blank: the one "Add another" just added."""
        return self.forms[-1] if self.forms and self.forms[-1].is_new else None


class CauseFormSet(_ItemFormSet):
    """The hazard's current causes, then new ones numbered after the highest number ever used."""

    def __init__(self, *args, first_new_number: int, **kwargs):
        self.first_new_number = first_new_number
        super().__init__(*args, **kwargs)

    def get_form_kwargs(self, index):
        new_index = None if index is None else index - self.initial_form_count()
        return {"key": "__key__" if new_index is None else self.first_new_number + new_index}

    @property
    def next_new_key(self) -> int:
        """The number the next cause added on the page will have."""
        return self.first_new_number + self.total_form_count() - self.initial_form_count()

    def cause_choices(self) -> list[tuple[int, str]]:
        """Every cause on the page, for the controls' "Causes it answers"."""
        choices = []
        for form in self.forms:
            text = " ".join(str(form["description"].value() or "").split())
            short = text if len(text) <= 60 else text[:57] + "…"
            choices.append((form.key, f"Cause {form.key}: {short}" if short else f"Cause {form.key}"))
        return choices


class ControlFormSet(_ItemFormSet):
    def __init__(self, *args, kind: str, causes: list, **kwargs):
        self.kind, self.causes = kind, causes
        super().__init__(*args, **kwargs)

    def get_form_kwargs(self, index):
        return {"kind": self.kind, "causes": self.causes, "key": "__key__" if index is None else index + 1}


CauseFormSetFactory = forms.inlineformset_factory(
    Hazard, Cause, form=CauseForm, formset=CauseFormSet, extra=0, can_delete=False
)
ControlFormSetFactory = forms.inlineformset_factory(
    Hazard, Control, form=ControlForm, formset=ControlFormSet, extra=0, can_delete=False
)


class AssessmentForm(forms.Form):
    """Severity and likelihood at one stage, as ranks of the log's matrix; the rating is looked up."""

    severity = forms.TypedChoiceField(coerce=int, required=False, widget=forms.RadioSelect)
    likelihood = forms.TypedChoiceField(coerce=int, required=False, widget=forms.RadioSelect)
    rationale = forms.CharField(
        label="Rationale",
        required=False,
        widget=_textarea(2),
        validators=[MaxLengthValidator(CELL_MAX_CHARS)],
        help_text="Why these levels were chosen.",
    )

    def __init__(self, *args, stage: str, matrix, assessed: bool, **kwargs):
        super().__init__(*args, prefix=stage, **kwargs)
        self.stage = stage
        self.matrix = matrix
        self.assessed = assessed
        self.stage_label = Stage(stage).label
        self.fields["severity"].label = f"{self.stage_label} severity"
        self.fields["severity"].choices = [(level.rank, level.name) for level in matrix.severities]
        self.fields["likelihood"].label = f"{self.stage_label} likelihood"
        self.fields["likelihood"].choices = [(level.rank, level.name) for level in matrix.likelihoods]
        self.fields["rationale"].label = f"Rationale for the {self.stage_label.lower()} risk"

    def clean(self):
        data = super().clean()
        severity, likelihood = data.get("severity"), data.get("likelihood")
        stage = self.stage_label.lower()
        if severity and not likelihood and "likelihood" not in self.errors:
            self.add_error("likelihood", f"Choose the {stage} likelihood")
        if likelihood and not severity and "severity" not in self.errors:
            self.add_error("severity", f"Choose the {stage} severity")
        if self.assessed and not severity and not likelihood:
            self.add_error("severity", f"Choose the {stage} severity: an assessment cannot be removed, only changed")
        return data

    def severity_options(self) -> list[tuple]:
        """Each severity radio with the matrix's definition of the level."""
        return [(radio, self.matrix.severity(int(radio.data["value"])).definition) for radio in self["severity"]]

    def likelihood_options(self) -> list[tuple]:
        return [(radio, self.matrix.likelihood(int(radio.data["value"])).definition) for radio in self["likelihood"]]

    def levels(self):
        """The chosen levels, or None when the stage is not assessed."""
        severity, likelihood = self.cleaned_data.get("severity"), self.cleaned_data.get("likelihood")
        if not (severity and likelihood):
            return None
        return self.matrix.severity(severity), self.matrix.likelihood(likelihood)

    def chosen_rating(self):
        """The rating of the chosen (or saved) levels, to show beside the radios."""
        try:
            severity, likelihood = int(self["severity"].value()), int(self["likelihood"].value())
        except (TypeError, ValueError):
            return None
        return self.matrix.rating_at(severity, likelihood)


class ImportForm(forms.Form):
    workbook = forms.FileField(
        label="Upload a hazard log workbook",
        help_text="An Excel file (.xlsx) in the NHS hazard log template's layout.",
        error_messages={"required": "Choose the workbook to upload", "empty": "The chosen workbook is empty"},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = NHSFormHelper(submit_label="Upload and preview")

    def clean_workbook(self):
        upload = self.cleaned_data["workbook"]
        if not upload.name.lower().endswith(IMPORT_SUFFIXES):
            raise forms.ValidationError("The workbook must be an Excel file ending in .xlsx")
        limit = settings.HAZARDLOG_MAX_UPLOAD_BYTES
        if upload.size > limit:
            raise forms.ValidationError(f"The workbook must be smaller than {filesizeformat(limit)}")
        return upload


# --- A hazard entered in error -----------------------------------------------------------------------


class EnteredInErrorForm(forms.Form):
    """Marks a hazard as entered in error, or takes the mark back; either way with a reason.

    `mark` is the state the page was opened to reach: a second submission of the same page (or a page
    opened before someone else changed it) finds the hazard already so and changes nothing.
    """

    mark = forms.BooleanField(required=False, widget=forms.HiddenInput)
    reason = forms.CharField(
        label="Why",
        widget=_textarea(3),
        validators=[MaxLengthValidator(2000)],
        error_messages={"required": "Enter why"},
    )

    def __init__(self, *args, hazard: Hazard, **kwargs):
        super().__init__(*args, initial={"mark": not hazard.entered_in_error}, **kwargs)
        marking = not hazard.entered_in_error
        self.fields["reason"].label = (
            "Why was this hazard entered in error?" if marking else "Why is this hazard part of the log again?"
        )
        self.fields["reason"].error_messages["required"] = (
            "Enter why the hazard was entered in error" if marking else "Enter why the hazard is restored"
        )
        self.fields["reason"].help_text = "Kept in the hazard's history."
        self.helper = NHSFormHelper(
            submit_label="Mark as entered in error" if marking else "Restore the hazard",
        )
