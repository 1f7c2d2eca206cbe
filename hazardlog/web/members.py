"""The members of a log and their roles. Every member can see who else works on the log; only its
Clinical Safety Officers add members, change roles and remove members."""

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from hazardlog.access import get_log_for_user
from hazardlog.forms_base import NHSFormHelper
from hazardlog.models import Membership, Role


class AddMemberForm(forms.Form):
    """A person is found by username and the e-mail address on their account together, and every miss gets
    the same message, so that the form cannot be used to find out which usernames exist."""

    NO_MATCH = (
        "No active account has both this username and this e-mail address. Check them with the person; "
        "staff set the e-mail address of an account in the admin."
    )

    username = forms.CharField(
        label="Username",
        max_length=150,
        help_text="The person must already have an account; staff create accounts in the admin.",
        error_messages={"required": "Enter the username of the person to add."},
        widget=forms.TextInput(attrs={"class": "nhsuk-input--width-20", "spellcheck": "false"}),
    )
    email = forms.EmailField(
        label="Their e-mail address",
        help_text="The address on their account, to confirm you are adding the right person.",
        error_messages={
            "required": "Enter the e-mail address of the person to add.",
            "invalid": "Enter an e-mail address in the correct format, like name@example.nhs.uk.",
        },
        widget=forms.EmailInput(attrs={"class": "nhsuk-input--width-30", "spellcheck": "false"}),
    )
    role = forms.ChoiceField(
        label="Role",
        choices=Role.choices,
        initial=Role.VIEWER,
        widget=forms.RadioSelect,
        help_text="Clinical Safety Officers approve issues and manage members; editors edit hazards and "
        "import workbooks; viewers read and export.",
        error_messages={"required": "Choose a role."},
    )

    def __init__(self, *args, log, **kwargs):
        super().__init__(*args, **kwargs)
        self.log = log
        self.helper = NHSFormHelper(submit_label="Add member")
        self.helper.form_action = reverse("hazardlog:member_add", args=[log.pk])

    def clean(self):
        data = super().clean()
        username, email = data.get("username", "").strip(), data.get("email", "").strip()
        if not (username and email):
            return data
        accounts = get_user_model().objects.filter(is_active=True)
        user = accounts.filter(username__iexact=username, email__iexact=email).first()
        if user is None:
            self.add_error("username", self.NO_MATCH)
        elif Membership.objects.filter(log=self.log, user=user).exists():
            # Safe to say: members are listed on this page.
            self.add_error("username", f"{user.get_username()} is already a member of this log.")
        else:
            self.user = user
        return data


def _page(request, log, form, status=200):
    members = log.memberships.select_related("user").order_by("role", "user__username")
    return render(
        request,
        "hazardlog/members.html",
        {"log": log, "members": members, "form": form, "can_manage": log.user_role == Role.CSO, "roles": Role},
        status=status,
    )


@require_GET
def member_list(request, log_id):
    log = get_log_for_user(request.user, log_id)
    return _page(request, log, AddMemberForm(log=log) if log.user_role == Role.CSO else None)


@require_POST
def member_add(request, log_id):
    log = get_log_for_user(request.user, log_id, Role.CSO)
    form = AddMemberForm(request.POST, log=log)
    if not form.is_valid():
        return _page(request, log, form, status=400)
    Membership.objects.create(log=log, user=form.user, role=form.cleaned_data["role"])
    messages.success(request, f"{form.user.get_username()} is now a {Role(form.cleaned_data['role']).label.lower()}.")
    return redirect("hazardlog:member_list", log.pk)


@require_POST
def member_change(request, log_id, membership_id):
    log = get_log_for_user(request.user, log_id, Role.CSO)
    with transaction.atomic():
        membership = get_object_or_404(Membership.objects.select_for_update(), log=log, pk=membership_id)
        action = request.POST.get("action")
        role = request.POST.get("role")
        name = membership.user.get_username()
        leaves_no_cso = membership.role == Role.CSO and (action == "remove" or role != Role.CSO)
        if leaves_no_cso and not log.memberships.filter(role=Role.CSO).exclude(pk=membership.pk).exists():
            messages.error(request, f"{name} is the log's only Clinical Safety Officer: add another first.")
        elif action == "remove":
            membership.delete()
            messages.success(request, f"{name} is no longer a member of this log.")
        elif role in Role.values:
            membership.role = role
            membership.save()
            messages.success(request, f"{name} is now a {Role(role).label.lower()}.")
        else:
            messages.error(request, "Choose a role.")
    return redirect("hazardlog:member_list", log.pk)
