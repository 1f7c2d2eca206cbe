"""Forms of the hand-off pages. Each write asks why or records what was decided, kept in the history."""

from django import forms
from django.conf import settings
from django.core.validators import MaxLengthValidator
from django.template.defaultfilters import filesizeformat

from hazardlog.forms_base import NHSFormHelper
from hazardlog.models import ImplementationStatus

from .bring_in import JSON_SUFFIX, WORKBOOK_SUFFIXES
from .models import REASON_MAX_CHARS, Applicability, Decision, UpstreamSource


def _textarea(rows: int = 3):
    return forms.Textarea(attrs={"rows": rows})


class BringInForm(forms.Form):
    upload = forms.FileField(
        label="The manufacturer's hazard log",
        help_text="The NHS hazard log workbook (.xlsx) as the manufacturer issued it, or the JSON download of an "
        "approved issue from another Hazard Log service (.json).",
        error_messages={"required": "Choose the manufacturer's hazard log file", "empty": "The chosen file is empty"},
    )
    previous = forms.ModelChoiceField(
        label="Which version does it supersede?",
        queryset=UpstreamSource.objects.none(),
        required=False,
        empty_label="None: the first version brought in",
        help_text="A new version is compared with the one it supersedes, and every evaluation resting on what "
        "changed is flagged for review.",
    )
    manufacturer = forms.CharField(
        max_length=200,
        help_text="Taken from the version it supersedes when one is chosen.",
        error_messages={"required": "Enter the manufacturer's name (or choose the version this supersedes)"},
    )
    system = forms.CharField(
        label="System",
        max_length=200,
        required=False,
        help_text="Taken from the version it supersedes, or from the file, when left blank.",
    )
    version = forms.CharField(
        label="Manufacturer's version", max_length=50, required=False, help_text="Taken from the file when left blank."
    )
    issue_date = forms.DateField(
        label="Issue date",
        required=False,
        help_text="For example 2026-11-29. Taken from the file when left blank.",
        error_messages={"invalid": "Enter the issue date as a date, for example 2026-11-29"},
    )

    def __init__(self, *args, log, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["previous"].queryset = UpstreamSource.objects.filter(log=log, next_version__isnull=True).defer(
            "content"
        )
        # Needed only for a first version: a new version keeps the manufacturer of the one it supersedes.
        self.fields["manufacturer"].required = not self.data.get("previous")
        self.helper = NHSFormHelper(submit_label="Bring in")

    def clean_upload(self):
        upload = self.cleaned_data["upload"]
        if not upload.name.lower().endswith((*WORKBOOK_SUFFIXES, JSON_SUFFIX)):
            raise forms.ValidationError(
                "The file must be an Excel workbook ending in .xlsx or a JSON file ending in .json"
            )
        limit = settings.HAZARDLOG_MAX_UPLOAD_BYTES
        if upload.size > limit:
            raise forms.ValidationError(f"The file must be smaller than {filesizeformat(limit)}")
        return upload


class ApplicabilityForm(forms.Form):
    applicable = forms.ChoiceField(
        label="Does this hazard apply to this deployment?",
        choices=[(Applicability.YES, "Yes, it applies"), (Applicability.NO, "No, it does not apply")],
        widget=forms.RadioSelect,
        error_messages={"required": "Choose whether the hazard applies to this deployment"},
    )
    reason = forms.CharField(
        label="Reason",
        required=False,
        widget=_textarea(),
        validators=[MaxLengthValidator(REASON_MAX_CHARS)],
        help_text="Required when it does not apply. Kept in the evaluation's history.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = NHSFormHelper(submit_label="Save applicability")

    def clean(self):
        data = super().clean()
        if data.get("applicable") == Applicability.NO and not (data.get("reason") or "").strip():
            self.add_error("reason", "Enter why the hazard does not apply to this deployment")
        return data


class TransferForm(forms.Form):
    decision = forms.ChoiceField(
        label="Decision",
        choices=Decision.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose whether the deploying organisation accepts the control"},
    )
    owner = forms.CharField(
        max_length=200, required=False, help_text="Who in the deploying organisation implements the control."
    )
    implementation_status = forms.ChoiceField(label="Implementation status", choices=ImplementationStatus.choices)
    reason = forms.CharField(
        label="Reason",
        required=False,
        widget=_textarea(),
        validators=[MaxLengthValidator(REASON_MAX_CHARS)],
        help_text="Required when rejected: why the deploying organisation will not implement it.",
    )

    def __init__(self, *args, title: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["decision"].label = f"Does the deploying organisation accept {title}?"
        self.helper = NHSFormHelper(submit_label="Save decision")

    def clean(self):
        data = super().clean()
        if data.get("decision") == Decision.REJECTED and not (data.get("reason") or "").strip():
            self.add_error("reason", "Enter why the transferred control is rejected")
        if data.get("decision") == Decision.ACCEPTED and not (data.get("owner") or "").strip():
            self.add_error("owner", "Enter who in the deploying organisation implements the control")
        return data


class ReviewForm(forms.Form):
    reason = forms.CharField(
        label="What did you review, and what did you conclude?",
        widget=_textarea(),
        validators=[MaxLengthValidator(REASON_MAX_CHARS)],
        help_text="Kept in the evaluation's history with what changed.",
        error_messages={"required": "Enter what you reviewed and concluded"},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = NHSFormHelper(submit_label="Mark as reviewed")
