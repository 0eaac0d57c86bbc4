"""The GraphiQL playground (outside production): a page at GET /graphql and its own static files.

Everything the page loads is served from this package (a pinned GraphiQL release in `vendor/`,
see vendor/VENDORED.md), under a Content-Security-Policy that allows this origin only, so the
playground works offline, on an intranet and behind a strict CSP.
"""
