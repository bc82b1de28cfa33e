"""Who is acting and from where, for the audit rows written while it lasts.

A request sets it in `AuditContextMiddleware` (page, API or admin by path); an import, a
Celery job or a management command sets it with `audit_context(...)`. The actor of a request
is read when a row is written, not when the request starts, because DRF authenticates a
token inside the view, after middleware has run.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, replace

from django.core.management.base import BaseCommand
from django.http import HttpRequest

from web.paths import is_api_path

from .models import Source


@dataclass(frozen=True)
class AuditContext:
    source: str = Source.SYSTEM
    origin: str = ""
    request: HttpRequest | None = None
    actor: object | None = None  # a User; None means "the request's user", if any
    suppressed: bool = False

    def actor_user(self):
        if self.actor is not None:
            return self.actor
        user = getattr(self.request, "user", None)
        if user is not None and user.is_authenticated:
            return user
        return None


_current: ContextVar[AuditContext] = ContextVar("audit_context", default=AuditContext())  # noqa: B039


def current() -> AuditContext:
    return _current.get()


@contextmanager
def audit_context(*, source: str | None = None, origin: str | None = None, actor=None) -> Iterator[None]:
    """Attribute the rows written inside to `source` (and `actor`, when not the request's user)."""
    here = _current.get()
    changed = replace(
        here,
        source=source or here.source,
        origin=here.origin if origin is None else origin,
        actor=actor if actor is not None else here.actor,
    )
    token = _current.set(changed)
    try:
        yield
    finally:
        _current.reset(token)


@contextmanager
def audit_suppressed() -> Iterator[None]:
    """Inside, model signals write no rows: the caller records the change itself, as one row."""
    token = _current.set(replace(_current.get(), suppressed=True))
    try:
        yield
    finally:
        _current.reset(token)


def source_for_path(path: str) -> str:
    if is_api_path(path):
        return Source.API
    if path.startswith("/admin/"):
        return Source.ADMIN
    return Source.PAGE


class AuditContextMiddleware:
    """Attribute every write during a request to its user and to the page, API or admin."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        context = AuditContext(
            source=source_for_path(request.path_info),
            origin=f"{request.method} {request.path_info}"[:200],
            request=request,
        )
        token = _current.set(context)
        try:
            return self.get_response(request)
        finally:
            _current.reset(token)


class AuditedCommand(BaseCommand):
    """A management command whose writes are attributed to the command in the audit trail."""

    def execute(self, *args, **options):
        with audit_context(source=Source.COMMAND, origin=f"manage.py {self.__module__.rsplit('.', 1)[-1]}"):
            return super().execute(*args, **options)
