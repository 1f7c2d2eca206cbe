"""The `nhsuk` crispy template pack draws forms in NHS.UK markup, with errors people can find and act on."""

import datetime

import pytest
from crispy_forms.layout import Fieldset, Layout
from django import forms
from django.contrib.auth.models import AnonymousUser
from django.template import Context, RequestContext, Template
from django.test import RequestFactory
from django.test.html import parse_html

from hazardlog.forms_base import NHSFormHelper
from hazardlog.widgets import NHSDateField

STATUS = [("open", "Open"), ("transferred", "Transferred"), ("closed", "Closed")]
STAGES = [("design", "Design"), ("build", "Build"), ("live", "Live")]


class HazardForm(forms.Form):
    title = forms.CharField(help_text="A few words a clinician would recognise")
    description = forms.CharField(widget=forms.Textarea)
    severity = forms.ChoiceField(choices=[("", "Choose a severity"), ("minor", "Minor"), ("major", "Major")])
    status = forms.ChoiceField(choices=STATUS, widget=forms.RadioSelect)
    stages = forms.MultipleChoiceField(choices=STAGES, widget=forms.CheckboxSelectMultiple)
    confirmed = forms.BooleanField(label="I have checked the controls")
    review_date = NHSDateField(help_text="For example, 27 3 2025")
    owner = forms.CharField(required=False)
    evidence = forms.FileField(required=False, help_text="A workbook or PDF")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = NHSFormHelper(submit_label="Save hazard")


EMPTY = {"review_date_day": "31", "review_date_month": "2", "review_date_year": "2024"}


# A few helpers over Django's own HTML parser.
def elements(node):
    for child in node.children:
        if not isinstance(child, str):
            yield child
            yield from elements(child)


def attrs(element) -> dict:
    return dict(element.attributes)


def classes(element) -> list[str]:
    return (attrs(element).get("class") or "").split()


def text(element) -> str:
    return " ".join(c if isinstance(c, str) else text(c) for c in element.children).strip()


def find(root, tag=None, css=None, **wanted):
    found = []
    for element in [root, *elements(root)]:
        if tag and element.name != tag:
            continue
        if css and css not in classes(element):
            continue
        if all(attrs(element).get(name.rstrip("_").replace("_", "-")) == value for name, value in wanted.items()):
            found.append(element)
    return found


def one(root, tag=None, css=None, **wanted):
    found = find(root, tag, css, **wanted)
    assert len(found) == 1, f"expected one {tag or ''}.{css or ''} {wanted}, found {len(found)}"
    return found[0]


def render(source: str, **context) -> str:
    request = RequestFactory().get("/")
    request.user = AnonymousUser()
    return Template("{% load crispy_forms_tags %}" + source).render(RequestContext(request, context))


def page_for(form):
    return parse_html(render('{% include "nhsuk/error_summary.html" %}{% crispy form %}', form=form))


@pytest.fixture
def invalid():
    return page_for(HazardForm(data=EMPTY))


def test_the_form_skips_browser_validation_and_posts_with_a_token(invalid):
    form = one(invalid, "form")
    assert "novalidate" in attrs(form)
    assert attrs(form)["method"] == "post"
    assert one(invalid, "input", name="csrfmiddlewaretoken")
    button = one(invalid, "button", type="submit")
    assert classes(button) == ["nhsuk-button"]
    assert text(button) == "Save hazard"


def test_the_error_summary_links_every_error_to_its_input(invalid):
    summary = one(invalid, "div", css="nhsuk-error-summary")
    assert one(summary, "div", role="alert")
    assert text(one(summary, "h2")) == "There is a problem"
    links = find(summary, "a")
    assert [attrs(a)["href"] for a in links] == [
        "#id_title",
        "#id_description",
        "#id_severity",
        "#id_status_0",
        "#id_stages_0",
        "#id_confirmed",
        "#id_review_date_day",
    ]
    by_id = {attrs(e).get("id"): e for e in elements(invalid)}
    assert {by_id[attrs(a)["href"][1:]].name for a in links} == {"input", "textarea", "select"}
    assert text(links[0]) == "Title: This field is required."
    assert text(links[-1]) == "Review date must be a real date"


def test_a_text_input_has_its_hint_and_error_linked(invalid):
    group = [g for g in find(invalid, "div", css="nhsuk-form-group") if find(g, "input", id="id_title")][0]
    assert "nhsuk-form-group--error" in classes(group)
    assert text(one(group, "label", for_="id_title")) == "Title"
    hint = one(group, "div", css="nhsuk-hint")
    assert attrs(hint)["id"] == "id_title-hint"
    error = one(group, "span", css="nhsuk-error-message")
    assert attrs(error)["id"] == "id_title-error"
    assert text(one(error, "span", css="nhsuk-u-visually-hidden")) == "Error:"
    assert text(error).endswith("This field is required.")
    field = one(group, "input", id="id_title")
    assert classes(field) == ["nhsuk-input", "nhsuk-input--error"]
    assert attrs(field)["aria-describedby"] == "id_title-hint id_title-error"


def test_textareas_and_selects_get_their_own_error_classes(invalid):
    assert "nhsuk-textarea--error" in classes(one(invalid, "textarea", id="id_description"))
    assert classes(one(invalid, "select", id="id_severity")) == ["nhsuk-select", "nhsuk-select--error"]


def test_radios_are_a_fieldset_with_a_legend(invalid):
    radios = one(invalid, "div", css="nhsuk-radios")
    fieldset = [f for f in find(invalid, "fieldset") if radios in list(elements(f))][0]
    assert text(one(fieldset, "legend")) == "Status"
    assert attrs(fieldset)["aria-describedby"] == "id_status-error"
    assert one(fieldset, "span", css="nhsuk-error-message", id="id_status-error")
    inputs = find(radios, "input", css="nhsuk-radios__input")
    assert [attrs(i)["id"] for i in inputs] == ["id_status_0", "id_status_1", "id_status_2"]
    assert {attrs(i)["type"] for i in inputs} == {"radio"}
    assert text(one(radios, "label", for_="id_status_1")) == "Transferred"


def test_checkboxes_and_a_single_checkbox(invalid):
    boxes = [d for d in find(invalid, "div", css="nhsuk-checkboxes") if find(d, "input", name="stages")][0]
    assert len(find(boxes, "input", type="checkbox", name="stages")) == 3
    single = one(invalid, "input", id="id_confirmed")
    assert classes(single) == ["nhsuk-checkboxes__input"]
    assert attrs(single)["aria-describedby"] == "id_confirmed-error"
    assert text(one(invalid, "label", for_="id_confirmed")) == "I have checked the controls"


def test_a_date_is_three_labelled_boxes_in_a_group(invalid):
    date = one(invalid, "div", css="nhsuk-date-input", id="id_review_date")
    fieldset = [f for f in find(invalid, "fieldset") if date in list(elements(f))][0]
    assert attrs(fieldset)["role"] == "group"
    assert attrs(fieldset)["aria-describedby"] == "id_review_date-hint id_review_date-error"
    assert text(one(fieldset, "legend")) == "Review date"
    boxes = find(date, "input")
    assert [(attrs(b)["id"], attrs(b)["name"], attrs(b)["value"]) for b in boxes] == [
        ("id_review_date_day", "review_date_day", "31"),
        ("id_review_date_month", "review_date_month", "2"),
        ("id_review_date_year", "review_date_year", "2024"),
    ]
    assert [attrs(b)["inputmode"] for b in boxes] == ["numeric"] * 3
    assert all("nhsuk-input--error" in classes(b) for b in boxes)
    assert "nhsuk-input--width-4" in classes(boxes[2])
    assert [text(one(date, "label", for_=attrs(b)["id"])) for b in boxes] == ["Day", "Month", "Year"]


def test_a_file_is_an_nhs_file_upload(invalid):
    assert attrs(one(invalid, "form"))["enctype"] == "multipart/form-data"
    upload = one(invalid, "div", css="nhsuk-file-upload")
    # Without NHS.UK's drag-and-drop enhancement: its button fails axe's label-content-name-mismatch.
    assert "data-module" not in attrs(upload)
    field = one(upload, "input", type="file")
    assert classes(field) == ["nhsuk-file-upload__input"]
    assert attrs(field)["aria-describedby"] == "id_evidence-hint"


def test_optional_fields_say_so(invalid):
    assert text(one(invalid, "label", for_="id_owner")) == "Owner (optional)"
    assert text(one(invalid, "label", for_="id_title")) == "Title"


def test_a_date_missing_its_month_highlights_only_the_month():
    data = {"review_date_day": "3", "review_date_month": "", "review_date_year": "2025"}
    page = page_for(HazardForm(data=data))
    summary = one(page, "div", css="nhsuk-error-summary")
    link = [a for a in find(summary, "a") if attrs(a)["href"] == "#id_review_date_month"]
    assert text(link[0]) == "Review date must include a month"
    flagged = [attrs(b)["id"] for b in find(page, "input", css="nhsuk-input--error") if "review_date" in attrs(b)["id"]]
    assert flagged == ["id_review_date_month"]


@pytest.mark.parametrize(
    ("day", "month", "year", "message"),
    [
        ("", "", "", "Enter review date"),
        ("29", "2", "2023", "Review date must be a real date"),
        ("1", "x", "2025", "Review date must be a real date"),
        ("1", "2", "25", "Review date year must include 4 numbers"),
        ("", "", "2025", "Review date must include a day and month"),
        ("²", "1", "2025", "Review date must be a real date"),
        ("99999", "1", "2025", "Review date must be a real date"),
    ],
)
def test_bad_dates_get_a_message_naming_the_field(day, month, year, message):
    form = HazardForm(data={"review_date_day": day, "review_date_month": month, "review_date_year": year})
    assert form.errors["review_date"] == [message]


def test_a_good_date_becomes_a_date_and_is_shown_again():
    data = {"review_date_day": " 29", "review_date_month": "02", "review_date_year": "2024"}
    form = HazardForm(data=data)
    form.is_valid()
    assert form.cleaned_data["review_date"] == datetime.date(2024, 2, 29)
    initial = page_for(HazardForm(initial={"review_date": datetime.date(2025, 3, 27)}))
    assert [attrs(b)["value"] for b in find(one(initial, "div", css="nhsuk-date-input"), "input")] == [
        "27",
        "3",
        "2025",
    ]


def test_an_unbound_form_has_no_summary_and_no_error_classes():
    page = page_for(HazardForm())
    assert not find(page, "div", css="nhsuk-error-summary")
    assert not find(page, css="nhsuk-form-group--error")
    assert not find(page, css="nhsuk-error-message")


class SignInForm(forms.Form):
    email = forms.EmailField()

    def clean(self):
        raise forms.ValidationError("Enter a correct email address and password")


def test_a_non_field_error_links_to_the_first_field():
    page = page_for(SignInForm(data={"email": "a@example.org"}))
    link = one(one(page, "div", css="nhsuk-error-summary"), "a")
    assert attrs(link)["href"] == "#id_email"
    assert text(link) == "Enter a correct email address and password"


class CauseForm(forms.Form):
    description = forms.CharField()


class BaseCauseFormSet(forms.BaseFormSet):
    def clean(self):
        raise forms.ValidationError("A hazard needs at least one cause")


CauseFormSet = forms.formset_factory(CauseForm, formset=BaseCauseFormSet, extra=0)


def test_formset_errors_are_in_the_summary_with_their_row():
    data = {
        "form-TOTAL_FORMS": "2",
        "form-INITIAL_FORMS": "2",
        "form-0-description": "Wrong patient selected",
        "form-1-description": "",
    }
    formset = CauseFormSet(data=data)
    page = parse_html(render('{% include "nhsuk/error_summary.html" with form=other %}', formset=formset))
    items = find(one(page, "ul", css="nhsuk-error-summary__list"), "li")
    assert text(items[0]) == "A hazard needs at least one cause"
    assert not find(items[0], "a")
    link = one(items[1], "a")
    assert attrs(link)["href"] == "#id_form-1-description"
    assert text(link) == "Item 2 – Description: This field is required."


def test_the_summary_takes_several_forms_at_once():
    page = parse_html(
        render(
            '{% include "nhsuk/error_summary.html" with forms=both %}',
            both=[SignInForm(data={"email": "a@example.org"}), HazardForm(prefix="h", data={})],
        )
    )
    hrefs = [attrs(a)["href"] for a in find(one(page, "div", css="nhsuk-error-summary"), "a")]
    assert hrefs[:2] == ["#id_email", "#id_h-title"]


def test_a_crispy_fieldset_is_an_nhs_fieldset():
    form = HazardForm()
    form.helper.layout = Layout(Fieldset("About the hazard", "title", "description"))
    page = parse_html(render("{% crispy form %}", form=form))
    legend = one(page, "legend", css="nhsuk-fieldset__legend--m")
    assert text(legend) == "About the hazard"
    assert find(page, "input", id="id_title")


def page_title(context: dict) -> str:
    request = RequestFactory().get("/")
    request.user = AnonymousUser()
    html = Template('{% extends "base.html" %}{% block title %}Edit hazard{% endblock %}').render(
        RequestContext(request, context)
    )
    return text(find(parse_html(html), "title")[0])


def test_the_page_title_says_error_when_the_form_is_invalid():
    assert page_title({"form": HazardForm()}) == "Edit hazard – Hazard Log – NHS"
    assert page_title({"form": HazardForm(data={})}) == "Error: Edit hazard – Hazard Log – NHS"
    assert page_title({"formsets": [CauseFormSet(data={"form-TOTAL_FORMS": "0", "form-INITIAL_FORMS": "0"})]}) == (
        "Error: Edit hazard – Hazard Log – NHS"
    )
    assert page_title({"form": HazardForm(data={}), "form_has_errors": False}) == "Edit hazard – Hazard Log – NHS"


def test_breadcrumbs_end_with_a_back_link_to_the_parent():
    html = Template('{% load nhsuk %}{% breadcrumbs "Hazard logs" "/" "Infusion pump" "/logs/1/" %}').render(Context())
    nav = one(parse_html(html), "nav", aria_label="Breadcrumb")
    assert [attrs(a)["href"] for a in find(nav, "a", css="nhsuk-breadcrumb__link")] == ["/", "/logs/1/"]
    assert attrs(one(nav, "a", css="nhsuk-back-link"))["href"] == "/logs/1/"


def test_each_form_of_a_formset_is_a_named_fieldset():
    data = {"form-TOTAL_FORMS": "2", "form-INITIAL_FORMS": "2", "form-0-description": "a", "form-1-description": ""}
    page = parse_html(render("{% crispy formset helper %}", formset=CauseFormSet(data=data), helper=NHSFormHelper()))
    assert [text(legend) for legend in find(page, "legend")] == ["Item 1", "Item 2"]
    assert "novalidate" in attrs(one(page, "form"))
    assert one(page, "input", name="form-TOTAL_FORMS")
    assert text(one(page, "p", css="nhsuk-error-message")).endswith("A hazard needs at least one cause")


def test_a_formset_table_labels_each_cell_with_its_row():
    data = {"form-TOTAL_FORMS": "2", "form-INITIAL_FORMS": "2", "form-0-description": "a", "form-1-description": ""}
    helper = NHSFormHelper()
    helper.template = "nhsuk/table_inline_formset.html"
    page = parse_html(render("{% crispy formset helper %}", formset=CauseFormSet(data=data), helper=helper))
    assert [text(th) for th in find(page, "th")] == ["Description"]
    label = one(page, "label", for_="id_form-1-description")
    assert "nhsuk-u-visually-hidden" in classes(label)
    assert text(one(label, "span")) == ", Item 2"
    assert "nhsuk-input--error" in classes(one(page, "input", id="id_form-1-description"))
