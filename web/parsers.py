"""How the API reads JSON bodies (REST_FRAMEWORK's DEFAULT_PARSER_CLASSES).

DRF imports parser classes while `rest_framework.views` is still loading, so this module must
not import DRF views or anything that does (kam/api.py does).
"""

from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, parsers


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser; a body nested deeper than Python's parser can follow (`[[[[…`) is a
    400 like any other malformed JSON, not a 500 from a RecursionError."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise exceptions.ParseError(_("JSON parse error - the body is nested too deeply.")) from None
