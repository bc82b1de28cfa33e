"""Which kind of request this is, by its path: the API answers in JSON, pages in HTML."""

from django.http import HttpRequest

API_PREFIX = "/api/"


def is_api_request(request: HttpRequest) -> bool:
    """Everything under /api/ (the REST API, its schema and docs) answers for itself."""
    return request.path_info.startswith(API_PREFIX)


def is_api_path(path: str) -> bool:
    return path.startswith(API_PREFIX)
