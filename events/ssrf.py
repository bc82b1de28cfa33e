"""The SSRF guard of webhook targets: KAM must not be made to call into its own network.

A target must be http(s), name a host, and every address the host resolves to must be public:
loopback, private, link-local, multicast, reserved, unspecified and shared (CGNAT) addresses are
refused, and the cloud metadata endpoints always (even with KAM_WEBHOOK_ALLOW_PRIVATE, which lets
tests and demos reach a receiver on loopback or the LAN). The check runs when a subscription is
saved (a validation message) and again at each send, where the connection then goes to the very
address that was checked (`Target.address`), so a DNS answer changed in between (DNS rebinding)
cannot redirect it. Redirects are never followed.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

METADATA = {
    ipaddress.ip_address("169.254.169.254"),  # AWS, GCP, Azure, Alibaba Cloud (100.100.100.200 below)
    ipaddress.ip_address("100.100.100.200"),
    ipaddress.ip_address("fd00:ec2::254"),  # AWS over IPv6
}


class TargetRefused(ValueError):
    """The URL may not be called; the message says why (shown to admins)."""


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str  # as written in the URL (the Host header and TLS SNI)
    port: int
    path: str  # path and query, as sent in the request line
    address: str  # the checked IP address to connect to


def _refusal(ip: ipaddress.IPv4Address | ipaddress.IPv6Address, allow_private: bool) -> str | None:
    mapped = getattr(ip, "ipv4_mapped", None)
    if mapped is not None:
        ip = mapped
    if ip in METADATA:
        return _("a cloud metadata address")
    if ip.is_unspecified:
        return _("an unspecified address")
    if ip.is_multicast:
        return _("a multicast address")
    if allow_private:
        return None
    if ip.is_loopback:
        return _("a loopback address")
    if ip.is_link_local:
        return _("a link-local address")
    if ip.is_private:
        return _("a private network address")
    if ip.is_reserved or not ip.is_global:
        return _("a reserved address")
    return None


def resolve(url: str, *, allow_private: bool | None = None) -> Target:
    """The checked target of `url`, or TargetRefused."""
    if allow_private is None:
        allow_private = settings.KAM_WEBHOOK_ALLOW_PRIVATE
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as error:
        raise TargetRefused(_("This is not a valid URL.")) from error
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise TargetRefused(_("Only http and https URLs can receive webhooks."))
    host = parts.hostname
    if not host:
        raise TargetRefused(_("The URL names no host."))
    if parts.username or parts.password:
        raise TargetRefused(_("Put no user name or password in the URL."))
    port = port or (443 if scheme == "https" else 80)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as error:
        raise TargetRefused(_("The host %(host)s could not be resolved.") % {"host": host}) from error
    addresses = []
    for info in infos:
        ip = ipaddress.ip_address(info[4][0].split("%", 1)[0])
        why = _refusal(ip, allow_private)
        if why:
            raise TargetRefused(
                _("%(host)s resolves to %(why)s (%(address)s); webhooks may not be sent there.")
                % {"host": host, "why": why, "address": ip}
            )
        addresses.append(str(ip))
    if not addresses:
        raise TargetRefused(_("The host %(host)s could not be resolved.") % {"host": host})
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return Target(scheme=scheme, host=host, port=port, path=path, address=addresses[0])


def validate_target_url(url: str) -> None:
    """A model / serializer validator: the URL must pass the guard now."""
    try:
        resolve(url)
    except TargetRefused as error:
        raise ValidationError(str(error), code="target_refused") from error
