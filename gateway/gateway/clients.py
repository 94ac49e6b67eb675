"""Who is really asking: the client's address, read from X-Forwarded-For only
when the request came through a proxy we trust (the web app, an ingress)."""

from __future__ import annotations

import ipaddress
import os
from functools import cache

from werkzeug.wrappers import Request

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
