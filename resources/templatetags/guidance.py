"""`{% guidance_url 'identifying-hazards' 'causes' %}`: a link into the guidance that fails loudly when the
page or section does not exist, so a renamed heading breaks a test rather than a link."""

from django import template

from resources import guidance

register = template.Library()


@register.simple_tag
def guidance_url(slug: str, anchor: str = "") -> str:
    return guidance.guidance_url(slug, anchor)
