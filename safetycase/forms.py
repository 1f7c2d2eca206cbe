"""Forms of the safety case pages. Every one asks why, and the answer is kept in the record's history."""

from django import forms
from django.core.validators import MaxLengthValidator

from hazardlog.forms_base import NHSFormHelper
from hazardlog.models import Hazard
from hazardlog.text import reference_key

from .models import SECTION_MAX_CHARS, RelatedDocument, ReviewOutcome, SafetyCase, Signatory, TestIssue

MARKDOWN_HINT = "Markdown: a blank line starts a paragraph, ## a heading, - a list item, [text](https://…) a link."


def _reason(record: str) -> forms.CharField:
    return forms.CharField(
        label="Reason for the change",
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=f"Kept in the {record}'s history.",
        error_messages={"required": "Enter the reason for the change"},
        validators=[MaxLengthValidator(2000)],
    )


class SectionForm(forms.Form):
    text = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 16}), max_length=SECTION_MAX_CHARS)

    def __init__(self, *args, section, standard, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["text"].label = section.title
        self.fields["text"].help_text = f"{section.hint_for(standard)} {MARKDOWN_HINT}"
        self.fields["reason"] = _reason("safety case")
        self.helper = NHSFormHelper(submit_label="Save section")


class DetailsForm(forms.ModelForm):
    class Meta:
        model = SafetyCase
        fields = ["report_reference", "crmp_reference"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason"] = _reason("safety case")
        self.helper = NHSFormHelper(submit_label="Save details")


class RelatedDocumentForm(forms.ModelForm):
    link = forms.URLField(label="Link", required=False, max_length=500, assume_scheme="https")

    class Meta:
        model = RelatedDocument
        fields = ["title", "reference", "version", "link"]
        error_messages = {"title": {"required": "Enter the title of the document"}}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["link"].error_messages["invalid"] = "Enter the link as a web address, like https://example.nhs.uk/"
        self.fields["reason"] = _reason("document")
        self.helper = NHSFormHelper(submit_label="Save document")


class TestIssueForm(forms.ModelForm):
    __test__ = False

    class Meta:
        model = TestIssue
        fields = ["reference", "description", "safety_impact", "hazard_references", "status"]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 3}),
            "safety_impact": forms.Textarea(attrs={"rows": 3}),
            "status": forms.RadioSelect,
        }
        error_messages = {
            "reference": {"required": "Enter the test issue ID"},
            "description": {"required": "Enter a description of the test issue"},
        }

    def __init__(self, *args, log, **kwargs):
        super().__init__(*args, **kwargs)
        self.log = log
        self.fields["reason"] = _reason("test issue")
        self.helper = NHSFormHelper(submit_label="Save test issue")

    def clean_reference(self):
        reference = self.cleaned_data["reference"].strip()
        others = TestIssue.objects.filter(log=self.log, reference=reference).exclude(pk=self.instance.pk)
        if others.exists():
            raise forms.ValidationError(f"Test issue {reference} is already in this log.")
        return reference

    def clean_hazard_references(self):
        """Each number must be a hazard of this log; kept as the log writes it."""
        hazards = dict(
            Hazard.objects.filter(log=self.log, entered_in_error=False).values_list("reference_key", "reference")
        )
        typed = [part.strip() for part in self.cleaned_data["hazard_references"].split(",") if part.strip()]
        unknown = [part for part in typed if reference_key(part) not in hazards]
        if unknown:
            raise forms.ValidationError(f"This log has no hazard {', '.join(unknown)}.")
        return ", ".join(dict.fromkeys(hazards[reference_key(part)] for part in typed))


class SignatoryForm(forms.ModelForm):
    class Meta:
        model = Signatory
        fields = ["professional_body", "registration_number", "job_title"]
        labels = {"professional_body": "Professional body"}
        error_messages = {
            "professional_body": {"required": "Enter the professional body you are registered with"},
            "registration_number": {"required": "Enter your registration number"},
            "job_title": {"required": "Enter your job title"},
        }
        widgets = {
            "professional_body": forms.TextInput(attrs={"class": "nhsuk-input--width-10"}),
            "registration_number": forms.TextInput(attrs={"class": "nhsuk-input--width-10", "spellcheck": "false"}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason"] = _reason("signature details")
        self.fields["reason"].help_text = "Kept in the history of your signature details."
        self.helper = NHSFormHelper(submit_label="Save signature details")

    def clean(self):
        data = super().clean()
        for name in self.Meta.fields:
            if name in data:
                data[name] = data[name].strip()
        return data


class ReviewRequestForm(forms.Form):
    reviewer = forms.ChoiceField(
        label="Who should review it",
        error_messages={
            "required": "Choose who should review the draft",
            "invalid_choice": "Choose a member of this log",
        },
    )
    note = forms.CharField(
        label="What to look at",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="For example the hazards changed since the last issue.",
    )

    def __init__(self, *args, members, **kwargs):
        super().__init__(*args, **kwargs)
        self.members = {str(user.pk): user for user in members}
        self.fields["reviewer"].choices = [("", "Choose a member")] + [
            (pk, f"{user.get_full_name() or user.get_username()} ({user.get_username()})")
            for pk, user in self.members.items()
        ]
        self.helper = NHSFormHelper(submit_label="Ask for a review")

    def clean_reviewer(self):
        return self.members[self.cleaned_data["reviewer"]]


class ReviewRecordForm(forms.Form):
    outcome = forms.ChoiceField(
        label="Outcome of your review",
        choices=ReviewOutcome.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose the outcome of your review"},
    )
    comments = forms.CharField(
        label="Comments",
        max_length=10_000,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text="What you reviewed and what you found. Kept with the next issue and shown in its report.",
        error_messages={"required": "Enter your comments on the draft"},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = NHSFormHelper(submit_label="Record my review")
