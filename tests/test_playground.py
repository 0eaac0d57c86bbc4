"""The GraphiQL playground is served from the server itself, under a strict CSP.

Given the app outside production, GET /graphql (Accept text/html) is a page that names only
same-origin files, every one of them served with its type, a year's caching and the content
the page's integrity attributes promise; its CSP allows this origin only. In production
neither the page nor the files exist. Paths that are not exactly a listed file are 404.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from html.parser import HTMLParser
from importlib import resources
from typing import Any
from urllib.parse import quote, unquote

import httpx
import pytest

from reelpay.graphql.playground import assets
from reelpay.graphql.playground.page import websocket_origins

HTML = {"Accept": "text/html"}
SCRIPTS = [
    "react.production.min.js",
    "react-dom.production.min.js",
    "graphiql.min.js",
    "index.umd.js",
    "bootstrap.js",
]
STYLESHEETS = ["graphiql.min.css", "style.css", "playground.css"]


class Page(HTMLParser):
    """Every tag of the page with its attributes, and the text inside <script>/<style>."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.inline: list[str] = []
        self._in: str | None = None
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        self._in = tag if tag in ("script", "style") else None

    def handle_endtag(self, tag: str) -> None:
        self._in = None

    def handle_data(self, data: str) -> None:
        if self._in and data.strip():
            self.inline.append(data)

    def urls(self) -> list[str]:
        return [
            value
            for _, attrs in self.tags
            for name, value in attrs.items()
            if name in ("src", "href", "action", "formaction", "srcset") and value is not None
        ]

    def of(self, tag: str, **match: str) -> list[dict[str, str | None]]:
        return [
            attrs
            for t, attrs in self.tags
            if t == tag and all(attrs.get(k) == v for k, v in match.items())
        ]


def policy(header: str) -> dict[str, list[str]]:
    directives: dict[str, list[str]] = {}
    for part in header.split(";"):
        name, *sources = part.split()
        directives[name] = sources
    return directives


async def playground(client: httpx.AsyncClient, **headers: str) -> tuple[httpx.Response, Page]:
    response = await client.get("/graphql", headers={**HTML, **headers})
    return response, Page(response.text)


async def test_the_page_names_only_files_of_its_own_origin(api):
    response, page = await playground(api.client)

    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert re.findall(r"(?i)(?:https?:|wss?:)?//[^\s\"'<>]+", response.text) == []
    for url in page.urls():
        assert (url.startswith("/") and not url.startswith("//")) or url == "data:,", url
    scripts = [attrs["src"] for attrs in page.of("script")]
    assert [str(src).rsplit("/", 1)[1] for src in scripts] == SCRIPTS
    sheets = [attrs["href"] for attrs in page.of("link", rel="stylesheet")]
    assert [str(href).rsplit("/", 1)[1] for href in sheets] == STYLESHEETS
    # No inline script or style (nothing for a hash or a nonce to cover), no handler attributes.
    assert page.inline == []
    assert all(not name.startswith("on") and name != "style" for _, a in page.tags for name in a)


async def test_every_file_the_page_names_is_served_with_its_type(api):
    _, page = await playground(api.client)
    elements = [("text/javascript", a) for a in page.of("script")] + [
        ("text/css", a) for a in page.of("link", rel="stylesheet")
    ]
    assert len(elements) == len(SCRIPTS) + len(STYLESHEETS)

    for media_type, attrs in elements:
        url = str(attrs.get("src") or attrs["href"])
        plain = await api.client.get(url, headers={"Accept-Encoding": "identity"})
        zipped = await api.client.get(url, headers={"Accept-Encoding": "gzip"})

        assert plain.status_code == zipped.status_code == 200, url
        assert plain.headers["content-type"] == f"{media_type}; charset=utf-8"
        assert plain.headers["cache-control"] == "public, max-age=31536000, immutable"
        assert plain.headers["x-content-type-options"] == "nosniff"
        assert plain.headers["vary"].split(", ")[0] == "Accept-Encoding"
        assert "content-encoding" not in plain.headers
        assert zipped.headers["content-encoding"] == "gzip"
        assert zipped.content == plain.content  # httpx decoded the gzip
        assert int(zipped.headers["content-length"]) < len(plain.content)
        # The URL carries the content's hash, and the integrity attribute matches the bytes.
        digest = hashlib.sha256(plain.content).hexdigest()
        assert url.split("/")[2] == digest[:16]
        sha384 = base64.b64encode(hashlib.sha384(plain.content).digest()).decode()
        assert attrs["integrity"] == f"sha384-{sha384}"


async def test_the_page_carries_a_csp_that_allows_only_its_own_origin(api):
    response, _ = await playground(api.client)
    directives = policy(response.headers["content-security-policy"])

    assert directives == {
        "default-src": ["'none'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'", "ws://test", "wss://test"],
        "base-uri": ["'none'"],
        "form-action": ["'none'"],
        "frame-ancestors": ["'none'"],
    }
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert response.headers["cross-origin-opener-policy"] == "same-origin"
    assert response.headers["cache-control"] == "no-cache"
    assert "Accept" in response.headers["vary"].split(", ")


async def test_the_websocket_origin_is_the_pages_own_host(api):
    response, _ = await playground(api.client, Host="localhost:8774")
    connect = policy(response.headers["content-security-policy"])["connect-src"]
    assert connect == ["'self'", "ws://localhost:8774", "wss://localhost:8774"]

    hostile, _ = await playground(api.client, Host="evil.example; script-src *")
    assert policy(hostile.headers["content-security-policy"])["connect-src"] == ["'self'"]
    assert policy(hostile.headers["content-security-policy"])["script-src"] == ["'self'"]


@pytest.mark.parametrize(
    ("host", "origins"),
    [
        ("127.0.0.1:8000", ["ws://127.0.0.1:8000", "wss://127.0.0.1:8000"]),
        ("api.example.com", ["ws://api.example.com", "wss://api.example.com"]),
        ("[::1]:8000", ["ws://[::1]:8000", "wss://[::1]:8000"]),
        (None, []),
        ("", []),
        ("a b", []),
        ("example.com:80; script-src *", []),
        ("example.com/x", []),
        ("example.com:123456", []),
        ("-example.com", []),
        ("'self'", []),
    ],
)
def test_websocket_origins_echo_only_a_plain_host(host, origins):
    assert websocket_origins(host) == origins


async def test_production_serves_neither_the_page_nor_its_files(production_client):
    page = await production_client.get("/graphql", headers=HTML)
    assert not page.headers.get("content-type", "").startswith("text/html")
    assert "content-security-policy" not in page.headers
    for url in assets.load().by_url:
        assert (await production_client.get(url)).status_code == 404, url


async def asgi_get(app: Any, raw_path: bytes) -> int:
    """A GET with the path exactly as a client may send it (httpx would remove dot segments);
    uvicorn passes such a path on as is."""
    path, _, query = raw_path.partition(b"?")
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": unquote(path.decode("latin-1")),
        "raw_path": path,
        "root_path": "",
        "query_string": query,
        "headers": [(b"host", b"test")],
        "client": ("127.0.0.1", 50000),
        "server": ("test", 80),
    }
    statuses: list[int] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            statuses.append(message["status"])

    await app(scope, receive, send)
    return statuses[0]


async def test_nothing_but_a_listed_file_is_served(api):
    js = next(a for a in assets.load().scripts if a.name == "graphiql.min.js")
    css = next(a for a in assets.load().stylesheets if a.name == "graphiql.min.css")
    digest = js.url.split("/")[2]
    assert await asgi_get(api.app, js.url.encode()) == 200
    attempts = [
        f"/graphiql/{digest}/../../app.py",
        f"/graphiql/{digest}/../../../src/reelpay/app.py",
        f"/graphiql/{digest}/..%2f..%2fapp.py",
        f"/graphiql/{digest}/..%2F..%2Fapp.py",
        f"/graphiql/{digest}/%2e%2e/%2e%2e/app.py",
        f"/graphiql/{digest}/%2e%2e%2f%2e%2e%2fapp.py",
        f"/graphiql/{digest}/%252e%252e%252fapp.py",
        f"/graphiql/{digest}/..%5c..%5capp.py",
        f"/graphiql/{digest}/....//....//app.py",
        f"/graphiql/{digest}/%c0%ae%c0%ae/app.py",
        "/graphiql/../src/reelpay/app.py",
        "/graphiql/%2e%2e/%2e%2e/pyproject.toml",
        "/graphiql/vendor/manifest.json",
        f"/graphiql/{digest}/LICENSE",
        f"/graphiql/{digest}/manifest.json",
        f"/graphiql/{digest}/__init__.py",
        f"/graphiql/{digest}/graphiql.min.js%00",
        f"/graphiql/{digest}/GRAPHIQL.MIN.JS",
        f"/graphiql/{digest}//graphiql.min.js",
        f"/graphiql/{digest}/graphiql@3.8.3/graphiql.min.js",
        f"/graphiql/{digest[:15]}/graphiql.min.js",
        f"/graphiql/{'0' * 16}/graphiql.min.js",
        f"/graphiql/{css.url.split('/')[2]}/graphiql.min.js",
        f"/graphiql/{digest}",
        f"/graphiql/{digest}/",
        "/graphiql/",
        "/graphiql",
        f"/graphiql/{digest}/" + quote("/etc/passwd", safe=""),
    ]
    for raw in attempts:
        assert await asgi_get(api.app, raw.encode()) == 404, raw
    # Starlette's own trailing-slash redirect leads back to the listed file, nowhere else.
    slash = await api.client.get(js.url + "/", follow_redirects=False)
    assert (slash.status_code, slash.headers["location"]) == (307, f"http://test{js.url}")


async def test_a_file_answers_get_and_head_only(api):
    url = assets.load().scripts[0].url
    assert (await api.client.head(url)).status_code == 200
    assert (await api.client.post(url, content=b"")).status_code == 405


def test_the_vendored_files_are_those_the_manifest_records():
    vendor = resources.files("reelpay.graphql.playground").joinpath("vendor")
    manifest = json.loads(vendor.joinpath("manifest.json").read_text())
    notes = vendor.joinpath("VENDORED.md").read_text()
    names = {p["name"] for p in manifest["packages"]}
    assert names == {
        "react",
        "react-dom",
        "graphiql",
        "@graphiql/plugin-explorer",
        "graphiql-explorer",
    }
    for package in manifest["packages"]:
        assert package["integrity"].startswith("sha512-")
        assert f"| {package['name']} | {package['version']} |" in notes
        assert package["integrity"] in notes
        assert "LICENSE" in package["files"]
        for name, recorded in package["files"].items():
            data = vendor.joinpath(package["folder"], name).read_bytes()
            assert hashlib.sha256(data).hexdigest() == recorded["sha256"], name
            assert len(data) == recorded["bytes"]
    # Every vendored file the page serves is one the manifest records.
    recorded = {
        (p["folder"], name): f["sha256"]
        for p in manifest["packages"]
        for name, f in p["files"].items()
    }
    served = [a for a in (*assets.load().scripts, *assets.load().stylesheets)]
    own = {"bootstrap.js", "playground.css"}
    for asset in served:
        if asset.name not in own:
            assert asset.sha256 in recorded.values(), asset.name


@pytest.mark.parametrize(
    ("accept_encoding", "gzipped"),
    [
        ("gzip, deflate, br", True),
        ("br;q=1.0, gzip;q=0.8", True),
        ("*", True),
        ("GZIP", True),
        ("gzip;q=0", False),
        ("gzip;q=0.0, br", False),
        ("identity", False),
        ("br, zstd", False),
        ("gzip;q=x", False),
        ("", False),
        (None, False),
    ],
)
def test_gzip_only_for_clients_that_accept_it(accept_encoding, gzipped):
    assert assets.accepts_gzip(accept_encoding) is gzipped
