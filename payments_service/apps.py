from django.apps import AppConfig


class PaymentsServiceConfig(AppConfig):
    name = "payments_service"
    verbose_name = "Payments service"
