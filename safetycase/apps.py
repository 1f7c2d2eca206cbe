from django.apps import AppConfig


class SafetyCaseConfig(AppConfig):
    name = "safetycase"
    verbose_name = "Safety case"
