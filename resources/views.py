"""Guidance and standards links: public pages, readable without signing in."""

from django.contrib.auth.decorators import login_not_required
from django.shortcuts import render
from django.views.decorators.http import require_GET

from . import guidance
from .models import Category, StandardLink
from .presenters import MatrixGuidance


@login_not_required
@require_GET
def index(request):
    links = list(StandardLink.objects.order_by("order", "title"))
    groups = [(label, [link for link in links if link.category == value]) for value, label in Category.choices]
    return render(
        request,
        "resources/index.html",
        {
            "pages": guidance.PAGES,
            "groups": [(label, items) for label, items in groups if items],
            "responsibility_note": guidance.RESPONSIBILITY_NOTE,
        },
    )


@login_not_required
@require_GET
def page(request, slug):
    rendered = guidance.rendered(slug)
    previous, following = guidance.neighbours(slug)
    context = {
        "rendered": rendered,
        "page": rendered.page,
        "pages": guidance.PAGES,
        "previous": previous,
        "next": following,
        "responsibility_note": guidance.RESPONSIBILITY_NOTE,
    }
    if rendered.needs_matrix:
        context["matrix"] = MatrixGuidance.for_nhs_matrix()
    return render(request, "resources/page.html", context)
