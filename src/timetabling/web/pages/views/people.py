"""People: an organization admin's list of accounts, making one, changing role, link and state, and new
passwords; everyone's own password change. Never across organizations."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.forms import PasswordResetForm
from django.contrib.auth.models import User
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect

from timetabling.web.academics import models as am
from timetabling.web.academics.changes import history
from timetabling.web.accounts import people
from timetabling.web.accounts.models import Membership, Role
from timetabling.web.pages.access import page
from timetabling.web.pages.views.common import render_page

ADMINS = frozenset({Role.ORG_ADMIN})


class MemberForm(forms.Form):
    email = forms.EmailField(required=False, label="E-mail")
    role = forms.ChoiceField(choices=Role.choices)
    faculty = forms.ModelChoiceField(queryset=am.Faculty.objects.none(), required=False,
                                     label="Faculty member (for a faculty account)")
    student = forms.ModelChoiceField(queryset=am.Student.objects.none(), required=False,
                                     label="Student record (for a student account)")

    def __init__(self, *args: Any, organization: am.Organization, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["faculty"].queryset = am.Faculty.objects.filter(organization=organization).order_by("code")
        self.fields["student"].queryset = am.Student.objects.filter(organization=organization).order_by("code")


class NewMemberForm(MemberForm):
    username = forms.CharField(max_length=150)
    field_order = ["username", "email", "role", "faculty", "student"]

    def clean_username(self) -> str:
        username = self.cleaned_data["username"].strip()
        if User.objects.filter(username__iexact=username).exists():
            raise forms.ValidationError(f"the username '{username}' is taken")
        return username


class EditMemberForm(MemberForm):
    active = forms.BooleanField(required=False, label="Active (may sign in)")


@page(roles=ADMINS)
def people_list(request: HttpRequest, membership: Membership) -> HttpResponse:
    org = membership.organization
    form = NewMemberForm(request.POST or None, organization=org)
    password = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        created, password = people.create_member(org, request.user, data["username"], data["email"], data["role"],
                                                 data["faculty"], data["student"])
        messages.success(request, f"Account {created.user.username} made. Give them the password below; it is "
                                  "shown only once.")
        form = NewMemberForm(organization=org)
    return render_page(request, "pages/people.html", {
        "form": form, "members": people.members(org), "password": password,
    }, status=400 if form.errors else 200)


def _member(membership: Membership, user_id: int) -> Membership:
    found = people.member_of(membership.organization, user_id)
    if found is None:
        raise Http404("no such account in this organization")
    return found


@page(roles=ADMINS)
def person(request: HttpRequest, membership: Membership, user_id: int) -> HttpResponse:
    org = membership.organization
    member = _member(membership, user_id)
    user = member.user
    initial = {"email": user.email, "role": member.role, "active": user.is_active,
               "faculty": am.Faculty.objects.filter(organization=org, user=user).first(),
               "student": am.Student.objects.filter(organization=org, user=user).first()}
    form = EditMemberForm(request.POST or None, initial=initial, organization=org)
    password = None
    if request.method == "POST" and request.POST.get("action") == "password":
        password = people.reset_password(org, request.user, member)
        messages.success(request, "New password made; it is shown only once.")
        form = EditMemberForm(initial=initial, organization=org)
    elif request.method == "POST" and request.POST.get("action") == "reset-link":
        if not user.email:
            messages.error(request, f"{user.username} has no e-mail address; set one, or make a new password.")
        else:
            reset = PasswordResetForm({"email": user.email})
            reset.is_valid()
            reset.save(request=request, email_template_name="pages/password_reset_email.txt",
                       subject_template_name="pages/password_reset_subject.txt")
            messages.success(request, f"A one-time link to set a new password went to {user.email}.")
        return redirect("pages:person", user_id=user.pk)
    elif request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            people.update_member(org, request.user, member, role=data["role"], email=data["email"],
                                 active=data["active"], faculty=data["faculty"], student=data["student"])
        except people.RefusedChange as err:
            form.add_error(None, str(err))
        else:
            messages.success(request, f"{user.username} saved.")
            return redirect("pages:person", user_id=user.pk)
    return render_page(request, "pages/person.html", {
        "member": member, "form": form, "password": password,
        "changes": history(org, people.KIND, user.pk)[:100],
    }, status=400 if form.errors else 200)
