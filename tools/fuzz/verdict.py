"""What a fuzzed GraphQL response may not be: a server error, an uncoded error, or a leak.

Shared by the schemathesis hooks (hooks.py) and the property test
(tests/test_schema_properties.py), so both judge a response the same way.
"""

from __future__ import annotations

import json
import re
from typing import Any

# Names of the database layer and of Python's internals: none belongs in an answer.
_LEAK_WORDS = re.compile(
    r"sqlalchemy|sqlalche\.me|asyncpg|aiosqlite|sqlite3?\b|psycopg|traceback|File \"|"
    r"IntegrityError|OperationalError|ProgrammingError|DataError|InterfaceError|"
    r"constraint failed|violates .{0,80}constraint|syntax error at or near|"
    r"no such (?:table|column)|"
    r"\[parameters:|\[SQL:|Background on this error",
    re.IGNORECASE,
)
# SQL as a driver or SQLAlchemy prints it (upper case), so prose such as "update it" passes.
_SQL = re.compile(
    r"\bSELECT\b[\s\S]{0,200}\bFROM\b|\bINSERT INTO\b|\bUPDATE\b\s+\S+\s+\bSET\b|"
    r"\bDELETE FROM\b|\bRETURNING\b|\bWHERE\b[\s\S]{0,80}(?:=|\bIS\b|\bIN\b)"
)
# Errors the server raises when it does not know what happened (graphql/errors.py `shape`),
# and the database failing to answer: a healthy server under a fuzzer gives neither.
INTERNAL_CODES = frozenset({"INTERNAL_SERVER_ERROR", "SERVICE_UNAVAILABLE"})
UNEXPECTED_MESSAGE = "Unexpected error."


def leaks(text: str, sent: str = "") -> list[str]:
    """Database or interpreter words in `text` that the request itself did not contain."""
    found = []
    sent_lower = sent.lower()
    for pattern in (_LEAK_WORDS, _SQL):
        for match in pattern.finditer(text):
            word = match.group(0)
            if word.lower() not in sent_lower:  # an echo of the request's own text is no leak
                found.append(word)
    return found


def problems(status: int, body: bytes | str, sent: str = "") -> list[str]:
    """Everything wrong with one response to a GraphQL request (empty when it is fine).

    `sent` is the request body: words it contains are not counted as leaks.
    """
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    found: list[str] = []
    if status >= 500:
        found.append(f"HTTP {status}")
    try:
        payload: Any = json.loads(text)
    except ValueError:
        payload = None
    if not isinstance(payload, dict):
        if status < 400:
            found.append(f"HTTP {status} with a body that is not a GraphQL response")
        found += [f"leaks {word!r}" for word in leaks(text, sent)]
        return found
    errors = payload.get("errors") or []
    if not isinstance(errors, list):
        return [*found, "`errors` is not a list"]
    for error in errors:
        found += _error_problems(error)
    # Data holds what clients stored (fuzzed text included); only errors must not talk of SQL.
    found += [f"leaks {word!r}" for word in leaks(json.dumps(errors), sent)]
    return found


def _error_problems(error: Any) -> list[str]:
    if not isinstance(error, dict):
        return [f"an error that is not an object: {error!r}"]
    message = error.get("message")
    extensions = error.get("extensions")
    code = extensions.get("code") if isinstance(extensions, dict) else None
    found = []
    if not isinstance(message, str) or not message.strip():
        found.append(f"an error without a message: {error!r}")
    if not isinstance(code, str):
        found.append(f"an error without extensions.code: {message!r}")
    elif code in INTERNAL_CODES or message == UNEXPECTED_MESSAGE:
        found.append(f"a server error ({code}) at {error.get('path')}: {message!r}")
    return found
