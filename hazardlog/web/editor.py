"""The hazard page's forms together, in the order a CSO thinks: what can go wrong → causes → existing
controls → initial risk → additional controls → residual risk → actions, owner and status.

Works without JavaScript: an "Add another" button posts the page back with one more blank form.
"""

from django.forms.utils import ErrorDict, ErrorList
from django.utils import timezone

from hazardlog import history, services
from hazardlog.forms import AssessmentForm, CauseFormSetFactory, ControlFormSetFactory, HazardForm
from hazardlog.models import Cause, Control, ControlKind, Hazard, Stage
from hazardlog.presenters import next_reference
from hazardlog.templatetags.nhsuk import SummaryError, field_view

# "Add another" buttons: the button's name → the formset it adds to.
ADD_BUTTONS = {"add_cause": "causes", "add_existing": "existing", "add_additional": "additional"}
# The hazard form's fields above the causes; its other fields come after the residual risk.
WHAT_CAN_GO_WRONG = ("reference", "name", "description", "clinical_impact", "hazard_type")


class HazardEditor:
    def __init__(self, log, matrix, hazard: Hazard | None = None, data=None):
        self.log, self.matrix = log, matrix
        self.editing = hazard is not None
        self.hazard = hazard if hazard is not None else Hazard(log=log)
        self.adding = None
        self.conflict: services.StaleHazard | None = None
        self.theirs: list = []  # history entries saved by someone else since the page was opened
        self.yours: list[tuple] = []  # (label, their value, your value) for each hazard field that differs
        if data is not None:
            self.adding = next((target for button, target in ADD_BUTTONS.items() if button in data), None)
            if self.adding:
                data = data.copy()
                total = f"{self.adding}-TOTAL_FORMS"
                data[total] = str(int(data[total]) + 1 if data.get(total, "").isdigit() else 1)

        initial = (
            {"revision": self.hazard.revision, "opened_at": timezone.now()}
            if self.editing
            else {"reference": next_reference(log)}
        )
        self.form = HazardForm(data, instance=self.hazard, editing=self.editing, initial=initial)

        causes, controls = Cause.objects.none(), Control.objects.none()
        first_new_number = 1
        if self.editing:
            every_cause = list(self.hazard.causes.all())
            first_new_number = max((c.number for c in every_cause), default=0) + 1
            causes = self.hazard.causes.filter(withdrawn=False).order_by("number")
            controls = self.hazard.controls.filter(withdrawn=False).prefetch_related("causes").order_by("number")
        current_causes = list(causes)
        self.causes = CauseFormSetFactory(
            data,
            instance=self.hazard,
            prefix="causes",
            queryset=causes,
            first_new_number=first_new_number,
            extra=0 if current_causes else 1,
        )
        cause_choices = self.causes.cause_choices()
        self.controls = {}
        for kind in ControlKind.values:
            of_kind = controls.filter(kind=kind)
            self.controls[kind] = ControlFormSetFactory(
                data,
                instance=self.hazard,
                prefix=kind,
                queryset=of_kind,
                kind=kind,
                causes=cause_choices,
                extra=0 if self.editing and of_kind.exists() else 1,
            )

        stored = {a.stage: a for a in self.hazard.assessments.all()} if self.editing else {}
        self.assessments = {}
        for stage in Stage.values:
            assessment = stored.get(stage)
            self.assessments[stage] = AssessmentForm(
                data,
                stage=stage,
                matrix=matrix,
                assessed=assessment is not None,
                initial={
                    "severity": assessment.severity.rank,
                    "likelihood": assessment.likelihood.rank,
                    "rationale": assessment.rationale,
                }
                if assessment
                else {},
            )
        if self.adding:
            self._show_without_errors()
            new = self.formset(self.adding).new_form
            if new is not None:
                new.fields["description"].widget.attrs["autofocus"] = True

    def formset(self, name):
        return self.causes if name == "causes" else self.controls[name]

    @property
    def existing(self):
        return self.controls[ControlKind.EXISTING]

    @property
    def additional(self):
        return self.controls[ControlKind.ADDITIONAL]

    @property
    def initial(self):
        return self.assessments[Stage.INITIAL]

    @property
    def residual(self):
        return self.assessments[Stage.RESIDUAL]

    def _formsets(self):
        return [self.causes, self.existing, self.additional]

    def _show_without_errors(self):
        """After "Add another" the page is shown again as typed, without judging what is half done."""
        for form in [self.form, *self.assessments.values()]:
            form._errors = ErrorDict()
        for formset in self._formsets():
            formset._non_form_errors = ErrorList()
            formset._errors = [ErrorDict() for _ in formset.forms]
            for form in formset.forms:
                form._errors = ErrorDict()

    def is_valid(self) -> bool:
        if self.adding:
            return False
        results = [self.form.is_valid(), *(f.is_valid() for f in self._formsets())]
        results += [form.is_valid() for form in self.assessments.values()]
        return all(results) and self._links_are_valid()

    def _links_are_valid(self) -> bool:
        blank = {form.key for form in self.causes.forms if form.is_blank}
        valid = True
        for formset in self.controls.values():
            for form in formset.forms:
                if form.is_blank or form.withdrawing:
                    continue
                for key in sorted(set(form.cleaned_data.get("answers", [])) & blank):
                    form.add_error(
                        "answers", f"{form.title} answers cause {key}, which is empty: describe it or untick it"
                    )
                    valid = False
        return valid

    def save(self, user) -> Hazard:
        """Save everything through the service (raises services.StaleHazard on a lost update)."""
        data = self.form.cleaned_data
        causes = [
            services.CauseChange(
                key=form.key,
                description=form.cleaned_data.get("description") or "",
                pk=None if form.is_new else form.instance.pk,
                withdraw=form.withdrawing,
            )
            for form in self.causes.forms
            if not form.is_blank
        ]
        controls = [
            services.ControlChange(
                kind=formset.kind,
                fields={name: form.cleaned_data.get(name) or "" for name in services.CONTROL_FIELDS},
                cause_keys=form.cleaned_data.get("answers", []),
                pk=None if form.is_new else form.instance.pk,
                withdraw=form.withdrawing,
            )
            for formset in self.controls.values()
            for form in formset.forms
            if not form.is_blank
        ]
        assessments = []
        for stage, form in self.assessments.items():
            levels = form.levels()
            if levels:
                assessments.append(services.AssessmentChange(stage, *levels, form.cleaned_data["rationale"]))
        return services.save_hazard(
            self.form.instance,
            user=user,
            reason=data.get("reason") or "Hazard created",
            causes=causes,
            controls=controls,
            assessments=assessments,
            revision=data.get("revision"),
        )

    def show_conflict(self, conflict: services.StaleHazard) -> None:
        """Keep what was typed, and take the new revision: saving again (having seen both sides)
        replaces the other person's version. Their changes since this page was opened, and how the
        typed fields differ from what they saved, are shown above the form."""
        opened = self.form.cleaned_data["revision"]
        self.conflict = conflict
        self.theirs = history.changes_since(self.hazard, opened, self.form.cleaned_data.get("opened_at"))
        saved = Hazard.objects.get(pk=self.hazard.pk)
        self.yours = [
            (self.form.fields[name].label, getattr(saved, name), value)
            for name, value in self.form.cleaned_data.items()
            if name in HazardForm.Meta.fields and getattr(saved, name) != value
        ]
        self.form.data = self.form.data.copy()
        self.form.data["revision"] = str(conflict.revision)
        self.form.data["opened_at"] = timezone.now().isoformat()

    # The error summary, in the order of the page -------------------------------------------------------

    def summary(self) -> list[SummaryError]:
        if self.conflict:
            return [SummaryError(f"{self.conflict} Your changes have not been saved.", "#conflict")]
        if self.adding or not self.form.is_bound:
            return []
        rest = [name for name in self.form.fields if name not in WHAT_CAN_GO_WRONG]
        return [
            *_field_errors(self.form, WHAT_CAN_GO_WRONG),
            *_formset_errors(self.causes),
            *_formset_errors(self.existing),
            *_field_errors(self.initial),
            *_formset_errors(self.additional),
            *_field_errors(self.residual),
            *_field_errors(self.form, rest),
            *[SummaryError(str(message), "") for message in self.form.non_field_errors()],
        ]


def _named(message: str, label: str) -> str:
    return message if label.lower() in message.lower() else f"{label}: {message}"


def _field_errors(form, names=None, title: str = "") -> list[SummaryError]:
    entries = []
    for name in names or form.fields:
        if name not in form.fields:
            continue
        for message in form.errors.get(name, []):
            text = str(message)
            if not title or title.lower() not in text.lower():
                text = _named(text, str(form[name].label))
            if title and title.lower() not in text.lower():
                text = f"{title}: {text}"
            entries.append(SummaryError(text, f"#{field_view(form[name]).anchor}"))
    return entries


def _formset_errors(formset) -> list[SummaryError]:
    entries = [SummaryError(str(message), "") for message in formset.non_form_errors()]
    for form in formset.forms:
        entries += _field_errors(form, title=form.title)
        entries += [SummaryError(f"{form.title}: {message}", "") for message in form.non_field_errors()]
    return entries
