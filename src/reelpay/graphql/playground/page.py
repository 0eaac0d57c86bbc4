"""The playground page: GraphiQL from this server's own files, under a strict CSP.

The page has no inline script or style and names no other origin. Its policy allows scripts,
styles and connections to this origin only ('self'); the WebSocket origin of the same host is
also listed, because before CSP Level 3 (Safari before 15.4, Firefox before 125) 'self' did not
cover ws:/wss:. GraphiQL's stylesheet embeds its fonts and icons as data: URLs.
"""

from __future__ import annotations

import functools
import html
import re

from starlette.requests import Request
from starlette.responses import HTMLResponse

from reelpay.graphql.playground import assets

# A Host header we may repeat in a header: a DNS name, IPv4 or [IPv6], and an optional port.
_HOST = re.compile(
    r"(?:[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?|\[[0-9A-Fa-f:.]{2,45}\])(?::[0-9]{1,5})?"
)


def websocket_origins(host_header: str | None) -> list[str]:
    """ws:// and wss:// of the page's own host, or nothing for a Host we will not echo."""
    if not host_header or not _HOST.fullmatch(host_header):
        return []
    return [f"ws://{host_header}", f"wss://{host_header}"]


def content_security_policy(host_header: str | None) -> str:
    """The page's policy: this origin only, no inline or evaluated script, no framing."""
    directives = {
        "default-src": ["'none'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'", *websocket_origins(host_header)],
        "base-uri": ["'none'"],
        "form-action": ["'none'"],
        "frame-ancestors": ["'none'"],
    }
    return "; ".join(f"{name} {' '.join(sources)}" for name, sources in directives.items())


@functools.cache
def render() -> str:
    """The page's HTML (the same for every request)."""
    loaded = assets.load()
    links = "\n".join(
        f'    <link rel="stylesheet" href="{html.escape(a.url)}" integrity="{a.integrity}" />'
        for a in loaded.stylesheets
    )
    scripts = "\n".join(
        f'    <script src="{html.escape(a.url)}" integrity="{a.integrity}"></script>'
        for a in loaded.scripts
    )
    return f"""<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <meta name="referrer" content="no-referrer" />
    <title>Reelpay GraphiQL</title>
    <link rel="icon" href="data:," />
{links}
  </head>
  <body>
    <div id="graphiql" class="graphiql-container">Loading...</div>
{scripts}
  </body>
</html>
"""


def response(request: Request) -> HTMLResponse:
    """The page with its CSP and the usual hardening headers."""
    return HTMLResponse(
        render(),
        headers={
            "Content-Security-Policy": content_security_policy(request.headers.get("host")),
            "X-Content-Type-Options": "nosniff",
            "X-Frame-Options": "DENY",
            "Referrer-Policy": "no-referrer",
            "Cross-Origin-Opener-Policy": "same-origin",
            # The page names hashed asset URLs: revalidate it, so an upgrade shows at once.
            "Cache-Control": "no-cache",
            # GET /graphql answers JSON or this page depending on Accept.
            "Vary": "Accept",
        },
    )
