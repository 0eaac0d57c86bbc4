"""Which web origins may call the API from a browser (CORS, and the WebSocket handshake).

Listed origins (`REELPAY_CORS_ORIGINS`, comma-separated: `https://app.example.com`) always may;
`*` lets any page call the API, without credentials. In development, pages served from
localhost on any port may too (a Vite or Next.js dev server), so a fresh checkout works with a
frontend on another port; production admits only what is listed.
"""

from __future__ import annotations

import re

from reelpay.settings import Settings

# http(s)://localhost, 127.0.0.1 or [::1], any port: a developer's own machine.
DEVELOPMENT_ORIGINS = r"https?://(localhost|127\.0\.0\.1|\[::1\])(:[0-9]{1,5})?"
_DEVELOPMENT = re.compile(DEVELOPMENT_ORIGINS)


def origin_allowed(origin: str, settings: Settings) -> bool:
    """Whether a page on `origin` may call the API (the same rule for HTTP and WebSocket)."""
    listed = settings.cors_origins
    if "*" in listed or origin in listed:
        return True
    return not settings.is_production and _DEVELOPMENT.fullmatch(origin) is not None


def development_origins(settings: Settings) -> str | None:
    """The pattern of origins admitted without being listed: none in production."""
    return None if settings.is_production else DEVELOPMENT_ORIGINS
