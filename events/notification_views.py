"""The signed-in user's notifications page: newest first, marked read one by one or all at
once (POST), and the daily digest's switch."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from . import notifications as service
from .models import Notification

PAGE_SIZE = 20


@require_safe
def notification_list(request: HttpRequest) -> HttpResponse:
    page = Paginator(service.notifications_of(user=request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [{"notification": n, "text": service.render(n.kind, n.params)} for n in page.object_list]
    return render(request, "events/notification_list.html", {"page": page, "rows": rows})


@require_POST
def notification_read(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark one read; with `open`, go on to what it is about (else back to the list)."""
    notification = get_object_or_404(Notification.objects.filter(user=request.user), pk=pk)
    service.mark_read(notification=notification)
    target = notification.url if request.POST.get("open") else ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    return redirect("events:notifications")


@require_POST
def notification_read_all(request: HttpRequest) -> HttpResponse:
    service.mark_all_read(user=request.user)
    messages.success(request, _("All notifications are marked read."))
    return redirect("events:notifications")


@require_POST
def digest_setting(request: HttpRequest) -> HttpResponse:
    enabled = request.POST.get("digest_enabled") in ("on", "true", "1")
    service.set_digest(user=request.user, enabled=enabled)
    if enabled:
        messages.success(request, _("The daily digest e-mail is on."))
    else:
        messages.success(request, _("The daily digest e-mail is off."))
    return redirect("events:notifications")
