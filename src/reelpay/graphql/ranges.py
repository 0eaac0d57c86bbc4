"""The `from`/`to` arguments of reports by day (analytics, rewards, earnings by day)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import strawberry

FromDay = Annotated[
    date | None,
    strawberry.argument(
        name="from", description="The first UTC day (default: 30 days ending on `to`)."
    ),
]
ToDay = Annotated[
    date | None, strawberry.argument(description="The last UTC day (default: today).")
]
