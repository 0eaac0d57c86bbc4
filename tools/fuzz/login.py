"""Print a bearer token for a demo user (python -m tools.fuzz.login URL [email])."""

from __future__ import annotations

import json
import sys
import urllib.request

from reelpay.demo import DEMO_PASSWORD

LOG_IN = """mutation($input: LogInInput!) {
  logIn(input: $input) { token userErrors { code message } }
}"""


def log_in(url: str, email: str) -> str:
    """The token of a fresh session of `email`, or SystemExit with the reason."""
    body = json.dumps(
        {"query": LOG_IN, "variables": {"input": {"email": email, "password": DEMO_PASSWORD}}}
    ).encode()
    request = urllib.request.Request(url, body, {"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        payload = json.load(response)
    token = ((payload.get("data") or {}).get("logIn") or {}).get("token")
    if not token:
        raise SystemExit(f"logIn as {email} failed: {payload}")
    return str(token)


if __name__ == "__main__":
    print(log_in(sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else "mia.dances@demo.reelpay.dev"))
