"""Tags for the hand-off, also used on hazardlog's pages so that their edits stay one line each:

- `{% upstream_panel log %}` on a log page: the manufacturers' logs link and counts (DCB0160 logs only).
- `{% upstream_marks hazards as marks %}` then `{{ marks|upstream_mark:hazard.pk }}`: the manufacturer's
  reference of local hazards that belong to an evaluation, in one query for a page of hazards.
- `{% upstream_note hazard %}` on a hazard page: which manufacturer's hazard it evaluates, with a link.
- `{{ hazard|local_assessment:"initial" }}`: a hazard's assessment of a stage (prefetched).
"""

from django import template

from hazardlog.models import Standard

from .. import presenters
from ..models import Evaluation

register = template.Library()


@register.inclusion_tag("upstream/_panel.html")
def upstream_panel(log):
    if log.standard != Standard.DCB0160:
        return {"show": False}
    return {"show": True, "log": log, "counts": presenters.counts(log)}


@register.inclusion_tag("upstream/_note.html")
def upstream_note(hazard):
    return {"evaluation": Evaluation.objects.filter(local_hazard=hazard).first()}


@register.simple_tag
def upstream_marks(hazards) -> dict:
    ids = [getattr(item, "hazard", item).pk for item in hazards]
    return {
        hazard_id: f"{manufacturer} {reference}"
        for hazard_id, manufacturer, reference in Evaluation.objects.filter(local_hazard_id__in=ids).values_list(
            "local_hazard_id", "manufacturer", "reference"
        )
    }


@register.filter
def upstream_mark(marks: dict, hazard_id) -> str:
    return marks.get(hazard_id, "")


@register.filter
def local_assessment(hazard, stage: str):
    return hazard.assessment(stage) if hazard else None
