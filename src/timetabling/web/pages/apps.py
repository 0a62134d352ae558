from django.apps import AppConfig


class PagesConfig(AppConfig):
    name = "timetabling.web.pages"
    label = "pages"
    verbose_name = "Pages"
