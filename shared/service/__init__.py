"""The service kit: what every Pantau HTTP service is made of (docs/service-kit.md).

- :mod:`shared.service.app` — :func:`~shared.service.app.build_app`, :class:`Consumer`,
  :class:`Background`, :func:`loop`, :func:`every`: the one app builder;
- :mod:`shared.service.context` — the running service and the request's correlation id;
- :mod:`shared.service.errors` — domain errors and answers that never echo input;
- :mod:`shared.service.db` — the pool dependency, transactions, idempotent writes;
- :mod:`shared.service.events` — building and appending the service's events;
- :mod:`shared.service.audit` — the audit trail;
- :mod:`shared.service.limits` — rate limits (429 with Retry-After);
- :mod:`shared.service.middleware` — correlation id, security headers, access log;
- :mod:`shared.service.pages` — HTML pages with a strict Content-Security-Policy.

Authentication is :mod:`shared.auth`; bounded field types are :mod:`shared.fields`.
"""
