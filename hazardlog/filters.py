"""The filters and sort order of a log's hazard list (django-filter).

Filters on assessments, causes and controls use `Exists` subqueries, so a hazard is never listed twice.
"""

import django_filters
from django.db.models import Exists, F, OuterRef

from hazardlog import search
from hazardlog.models import Control, ControlType, HazardStatus, RiskAssessment, Stage

# The hazard list's columns: sort parameter -> the queryset's field (ratings are annotations).
SORTS = {
    "reference": "reference_sort",
    "name": "name",
    "status": "status",
    "initial": "initial_rating",
    "residual": "residual_rating",
    "owner": "owner",
    "updated": "updated_at",
}
LEVEL_FILTERS = ("initial_severity", "initial_likelihood", "residual_severity", "residual_likelihood")
# A stable order within equal values, so a hazard never moves between pages.
TIE_BREAK = ("reference_sort", "id")


# The sort order a search's results come in unless a column is chosen; without a search, hazard number.
BEST_MATCH = "relevance"


class SortFilter(django_filters.OrderingFilter):
    """One column, ascending or `-descending`; hazards without an assessment sort as the lowest rating.
    Search results come best match first unless a column is chosen."""

    def build_choices(self, fields, labels):
        # First: the form always sends a sort order, so its first choice is what a search gets.
        return [(BEST_MATCH, "Best match"), *super().build_choices(fields, labels)]

    def filter(self, qs, value):
        if not value or value[0] == BEST_MATCH:
            return qs.order_by(f"-{search.RANK}", *TIE_BREAK) if search.is_ranked(qs) else qs.order_by(*TIE_BREAK)
        param = value[0]
        descending = param.startswith("-")
        field = self.param_map[param.lstrip("-")]
        expression = F(field).desc(nulls_last=True) if descending else F(field).asc(nulls_first=True)
        return qs.order_by(expression, *TIE_BREAK)


def _assessed(stage: str, **lookups):
    return Exists(RiskAssessment.objects.filter(hazard=OuterRef("pk"), stage=stage, **lookups))


def _number_choices(items) -> list[tuple[str, str]]:
    return [(str(key), label) for key, label in items]


class HazardFilter(django_filters.FilterSet):
    """Needs `matrix` (a presenters.MatrixView) and `owners` (the log's owner names) to offer its choices."""

    q = django_filters.CharFilter(
        label="Search",
        method="search",
        help_text="Searches references, names, descriptions, clinical impact, actions, causes, controls and "
        "evidence. Every word must be found; a word finds the words it starts.",
    )
    status = django_filters.ChoiceFilter(choices=HazardStatus.choices, empty_label="Any status")
    initial_rating = django_filters.ChoiceFilter(
        label="Initial rating", method="filter_initial_rating", empty_label="Any rating"
    )
    residual_rating = django_filters.ChoiceFilter(
        label="Residual rating", method="filter_residual_rating", empty_label="Any rating"
    )
    control_type = django_filters.ChoiceFilter(
        label="Control type", choices=ControlType.choices, method="filter_control_type", empty_label="Any type"
    )
    owner = django_filters.ChoiceFilter(label="Owner", empty_label="Any owner")
    # The cells of the risk matrix page link here: levels by rank, so the links read the same in any matrix.
    initial_severity = django_filters.ChoiceFilter(
        label="Initial severity", method="filter_level", empty_label="Any severity"
    )
    initial_likelihood = django_filters.ChoiceFilter(
        label="Initial likelihood", method="filter_level", empty_label="Any likelihood"
    )
    residual_severity = django_filters.ChoiceFilter(
        label="Residual severity", method="filter_level", empty_label="Any severity"
    )
    residual_likelihood = django_filters.ChoiceFilter(
        label="Residual likelihood", method="filter_level", empty_label="Any likelihood"
    )
    sort = SortFilter(
        label="Sort by",
        fields=[(field, param) for param, field in SORTS.items()],
        field_labels={
            "reference_sort": "Hazard number",
            "name": "Hazard name",
            "status": "Status",
            "initial_rating": "Initial rating",
            "residual_rating": "Residual rating",
            "owner": "Owner",
            "updated_at": "Last updated",
        },
        empty_label=None,
    )

    def __init__(self, data=None, queryset=None, *, matrix, owners, **kwargs):
        super().__init__(data, queryset, **kwargs)
        ratings = _number_choices((n, f"{n} {r.label}") for n, r in matrix.ratings.items())
        severities = _number_choices((level.rank, level.name) for level in matrix.severities)
        likelihoods = _number_choices((level.rank, level.name) for level in reversed(matrix.likelihoods))
        choices = {
            "initial_rating": ratings,
            "residual_rating": ratings,
            "owner": [(owner, owner) for owner in owners],
            "initial_severity": severities,
            "residual_severity": severities,
            "initial_likelihood": likelihoods,
            "residual_likelihood": likelihoods,
        }
        for name, options in choices.items():
            self.filters[name].extra["choices"] = options

    def search(self, queryset, name, value):
        return search.search(queryset, value)

    def filter_initial_rating(self, queryset, name, value):
        return queryset.filter(_assessed(Stage.INITIAL, rating__number=value))

    def filter_residual_rating(self, queryset, name, value):
        return queryset.filter(_assessed(Stage.RESIDUAL, rating__number=value))

    def filter_control_type(self, queryset, name, value):
        return queryset.filter(
            Exists(Control.objects.filter(hazard=OuterRef("pk"), withdrawn=False, control_type=value))
        )

    def filter_level(self, queryset, name, value):
        stage, level = name.split("_")
        return queryset.filter(_assessed(stage, **{f"{level}__rank": value}))

    @property
    def by_level(self) -> bool:
        """Whether a severity or likelihood filter (a cell of the risk matrix) is set."""
        return any(self.data.get(name) for name in LEVEL_FILTERS)

    @property
    def active(self) -> bool:
        """Whether any filter (not just the sort order) narrows the list."""
        data = self.form.cleaned_data if self.is_bound and hasattr(self.form, "cleaned_data") else {}
        return any(value not in (None, "", []) for name, value in data.items() if name != "sort")
