"""The client address a per-address rate limit is kept under.

An IPv4 client is keyed by its address. An IPv6 client is keyed by its /64: one subscriber
(a home, a phone, a server) is usually given a whole /64 and can pick any address inside it, so
keying by the full address would give it 2^64 budgets. An IPv4-mapped IPv6 address
(``::ffff:192.0.2.1``) is the IPv4 address it maps.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache

from starlette.requests import HTTPConnection

IPV6_PREFIX = 64


@lru_cache(maxsize=65_536)
def address_key(host: str) -> str:
    """``192.0.2.1`` -> ``192.0.2.1``; ``2001:db8:1:2:a:b:c:d`` -> ``2001:db8:1:2::/64``; a host
    that is not an IP address (a test client's name, a Unix socket) as it is."""
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return host
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, IPV6_PREFIX), strict=False))
    return str(ip)


def client_address(connection: HTTPConnection) -> str:
    """The key of a request's (or websocket's) peer, as the ASGI server reports it."""
    return address_key(connection.client.host) if connection.client else "unknown"
