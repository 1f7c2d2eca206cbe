"""Submitting a Django admin change form in tests as a browser would: every field as the page shows it."""

REASON = "Corrected at the monthly safety review"


def change_form_data(response, reason: str = REASON) -> dict:
    """The POST data of the admin change form in `response` (main form, inlines and their management
    forms), ready to edit and post back, with `reason` typed as the reason for the change."""
    forms = [response.context["adminform"].form]
    for inline in response.context["inline_admin_formsets"]:
        forms.append(inline.formset.management_form)
        forms.extend(inline.formset.forms)
    data = {}
    for form in forms:
        for name in form.fields:
            value = form[name].value()
            if value is None or value is False:
                continue
            if value is True:
                data[form.add_prefix(name)] = "on"
            elif isinstance(value, list | tuple):
                data[form.add_prefix(name)] = [str(item) for item in value]
            else:
                data[form.add_prefix(name)] = str(value)
    if "change_reason" in forms[0].fields:
        data["change_reason"] = reason
    return data
