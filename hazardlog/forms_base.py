"""The crispy-forms helper every page form uses, so all forms look and behave the NHS.UK way.

    class HazardForm(forms.ModelForm):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.helper = NHSFormHelper(submit_label="Save hazard")

Then `{% crispy form %}` in the template, with `{% include "nhsuk/error_summary.html" %}` first in the page.
"""

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit


class NHSSubmit(Submit):
    """A submit button drawn as an NHS.UK button (the pack adds `nhsuk-button`).

    `css_class="nhsuk-button--secondary"` (or `--warning`) gives the other NHS.UK button styles.
    """

    field_classes = ""


class NHSFormHelper(FormHelper):
    """`<form method="post" novalidate>` with a CSRF token and one NHS.UK submit button.

    NHS.UK forms skip the browser's own validation: the server's messages, in the error summary and
    next to each field, are the ones people see.
    """

    def __init__(self, form=None, *, submit_label: str | None = "Continue", form_tag: bool = True):
        super().__init__(form)
        self.form_tag = form_tag
        self.attrs = {"novalidate": ""}
        if submit_label:
            self.add_input(NHSSubmit("submit", submit_label))
