"""How the API writes JSON (REST_FRAMEWORK's DEFAULT_RENDERER_CLASSES).

DRF imports renderer classes while `rest_framework.views` is still loading, so this module must
not import DRF views or anything that does (kam/api.py does).
"""

from rest_framework import renderers


class JSONRenderer(renderers.JSONRenderer):
    """DRF's JSON renderer, for text that is not valid Unicode too.

    A client can send a lone surrogate as a JSON escape (`"\\ud800"`). Text fields refuse it,
    but a refusal may quote the value sent ("“\\ud800” is not a valid choice."), and a lone
    surrogate cannot be encoded as UTF-8. Such a response is written with every non-ASCII
    character escaped, as JSON allows, instead of failing with a 500.
    """

    def render(self, data, accepted_media_type=None, renderer_context=None):
        try:
            return super().render(data, accepted_media_type, renderer_context)
        except UnicodeEncodeError:
            self.ensure_ascii = True  # this response only: DRF makes a renderer per request
            return super().render(data, accepted_media_type, renderer_context)
