from django.apps import AppConfig


class HazardLogConfig(AppConfig):
    name = "hazardlog"
    verbose_name = "Hazard log"
