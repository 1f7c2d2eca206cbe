from django.apps import AppConfig


def _say_signed_out(sender, request, user, **kwargs):
    from django.contrib import messages

    # fail_silently: a sign-out without the message framework (the test client's logout(), a command)
    # has nowhere to show it.
    messages.info(request, "You have signed out.", fail_silently=True)


class HazardLogConfig(AppConfig):
    name = "hazardlog"
    verbose_name = "Hazard log"

    def ready(self):
        from django.contrib.auth.signals import user_logged_out

        user_logged_out.connect(_say_signed_out, dispatch_uid="hazardlog-signed-out")
