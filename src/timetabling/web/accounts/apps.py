from __future__ import annotations

from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "timetabling.web.accounts"
    label = "accounts"
    verbose_name = "Accounts and roles"
