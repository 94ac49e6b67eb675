"""Who is really asking, and how: the client's address, read from X-Forwarded-For
only when the request came through a proxy we trust (the web app, an ingress); and
whether it came over HTTPS, which every answer then asks the browser to keep to
(HSTS)."""

from __future__ import annotations

import ipaddress
import os
from functools import cache

from werkzeug.wrappers import Request, Response

# loopback by default (`make run`: the web app calls the API from this machine);
# Kubernetes sets the pod network of the ingress and the web app
DEFAULT_TRUSTED = "127.0.0.0/8,::1/128"


@cache
def trusted_networks(spec: str) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(part.strip(), strict=False)
                 for part in spec.split(",") if part.strip())


def _trusted(address: str, networks: tuple) -> bool:
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return False
    return any(ip in network for network in networks)


def client_address(request: Request) -> str:
    """The nearest address that is not a trusted proxy, walking X-Forwarded-For
    from the right (the entries a client wrote itself are on the left)."""
    networks = trusted_networks(os.environ.get("WECARE_TRUSTED_PROXIES", DEFAULT_TRUSTED))
    address = request.remote_addr or "unknown"
    if not _trusted(address, networks):
        return address
    hops = [h.strip() for h in request.headers.get("X-Forwarded-For", "").split(",")
            if h.strip()]
    for hop in reversed(hops):
        address = hop
        if not _trusted(hop, networks):
            break
    return address


# A year, subdomains included (no `preload`: that is the operator's choice to make)
HSTS = "max-age=31536000; includeSubDomains"


def over_https(request: Request) -> bool:
    """The request reached us over HTTPS: directly, or through a proxy we trust that
    says so (`X-Forwarded-Proto`, its nearest value: the ingress that ended TLS)."""
    if request.scheme == "https":
        return True
    networks = trusted_networks(os.environ.get("WECARE_TRUSTED_PROXIES", DEFAULT_TRUSTED))
    if not _trusted(request.remote_addr or "", networks):
        return False
    proto = request.headers.get("X-Forwarded-Proto", "").split(",")[-1].strip().lower()
    return proto == "https"


def transport_headers(request: Request, response: Response) -> Response:
    """Strict-Transport-Security on every answer to a request that came over HTTPS (a
    browser then never tries plain HTTP on this host again); never over plain HTTP,
    where it means nothing (RFC 6797 §7.2)."""
    if over_https(request):
        response.headers.setdefault("Strict-Transport-Security", HSTS)
    return response
