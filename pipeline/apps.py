from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PipelineConfig(AppConfig):
    """Opportunities and how they move through the five development stages."""

    name = "pipeline"
    verbose_name = _("Pipeline")
