"""The playground's static files, each at a URL that carries its content hash.

The set is closed: only the files listed here are served, looked up by exact URL, so no part
of a request path ever reaches the file system. A hashed URL never changes meaning, so answers
are cached for a year (`immutable`); gzip is computed once per file per process, off the event
loop, for clients that accept it.
"""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import functools
import gzip
import hashlib
import json
from importlib import resources

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

PREFIX = "/graphiql"
ONE_YEAR = 365 * 24 * 3600
IMMUTABLE = f"public, max-age={ONE_YEAR}, immutable"

JAVASCRIPT = "text/javascript; charset=utf-8"
CSS = "text/css; charset=utf-8"


@dataclasses.dataclass(frozen=True)
class Asset:
    """One served file."""

    name: str
    body: bytes
    media_type: str

    @functools.cached_property
    def sha256(self) -> str:
        return hashlib.sha256(self.body).hexdigest()

    @functools.cached_property
    def integrity(self) -> str:
        """Subresource Integrity for the page's `<script>` / `<link>`."""
        return "sha384-" + base64.b64encode(hashlib.sha384(self.body).digest()).decode()

    @property
    def url(self) -> str:
        return f"{PREFIX}/{self.sha256[:16]}/{self.name}"


@dataclasses.dataclass(frozen=True)
class Assets:
    """What the page loads, in order, and every served file by URL."""

    scripts: tuple[Asset, ...]
    stylesheets: tuple[Asset, ...]

    @functools.cached_property
    def by_url(self) -> dict[str, Asset]:
        return {asset.url: asset for asset in (*self.stylesheets, *self.scripts)}


def _package_file(*parts: str) -> bytes:
    return resources.files("reelpay.graphql.playground").joinpath(*parts).read_bytes()


def _vendored(package: str, name: str, media_type: str) -> Asset:
    manifest = json.loads(_package_file("vendor", "manifest.json"))
    folder = next(p["folder"] for p in manifest["packages"] if p["name"] == package)
    return Asset(name, _package_file("vendor", folder, name), media_type)


def _own(name: str, media_type: str) -> Asset:
    return Asset(name, _package_file("static", name), media_type)


@functools.cache
def load() -> Assets:
    """Read the files once per process (only an app outside production asks)."""
    return Assets(
        scripts=(
            _vendored("react", "react.production.min.js", JAVASCRIPT),
            _vendored("react-dom", "react-dom.production.min.js", JAVASCRIPT),
            _vendored("graphiql", "graphiql.min.js", JAVASCRIPT),
            _vendored("@graphiql/plugin-explorer", "index.umd.js", JAVASCRIPT),
            _own("bootstrap.js", JAVASCRIPT),
        ),
        stylesheets=(
            _vendored("graphiql", "graphiql.min.css", CSS),
            _vendored("@graphiql/plugin-explorer", "style.css", CSS),
            _own("playground.css", CSS),
        ),
    )


_gzipped: dict[str, bytes] = {}


async def _gzip(asset: Asset) -> bytes:
    body = _gzipped.get(asset.url)
    if body is None:
        # 3.5 MB of GraphiQL takes about 80 ms at level 6: not on the event loop, and only once.
        body = await asyncio.to_thread(gzip.compress, asset.body, 6, mtime=0)
        _gzipped[asset.url] = body
    return body


def accepts_gzip(accept_encoding: str | None) -> bool:
    """True if `Accept-Encoding` lists gzip (or `*`) with a q above zero."""
    for coding in (accept_encoding or "").split(","):
        name, *params = (part.strip() for part in coding.split(";"))
        if name.lower() not in ("gzip", "*"):
            continue
        for param in params:
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    return float(value) > 0
                except ValueError:
                    return False
        return True
    return False


async def serve(request: Request) -> Response:
    """GET/HEAD /graphiql/{digest}/{name}: a listed file, or 404."""
    digest, name = request.path_params["digest"], request.path_params["name"]
    asset = load().by_url.get(f"{PREFIX}/{digest}/{name}")
    if asset is None:
        return PlainTextResponse("Not Found", status_code=404)
    headers = {
        "Cache-Control": IMMUTABLE,
        "X-Content-Type-Options": "nosniff",
        "Cross-Origin-Resource-Policy": "same-origin",
        "Vary": "Accept-Encoding",
    }
    body = asset.body
    if accepts_gzip(request.headers.get("accept-encoding")):
        body = await _gzip(asset)
        headers["Content-Encoding"] = "gzip"
    return Response(body, media_type=asset.media_type, headers=headers)


def routes() -> list[Route]:
    """The static files' route (mounted outside production only)."""
    return [Route(f"{PREFIX}/{{digest}}/{{name}}", serve, methods=["GET", "HEAD"])]
