from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The demo data and `seed_demo`, a development app on top of the product apps."""

    name = "demo"
    verbose_name = "Demo data"
