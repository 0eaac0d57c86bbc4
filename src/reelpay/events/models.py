"""The event outbox: committed events, written in the transaction that caused them."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from reelpay.db import Base, UTCDateTime

# Ids only grow, on SQLite too (AUTOINCREMENT): readers ask for `id > last`, so an id must
# never be handed out again after pruning emptied the table.
OutboxId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


class OutboxEvent(Base):
    """One committed event; every API process delivers it to its own subscribers."""

    __tablename__ = "event_outbox"
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(OutboxId, primary_key=True, autoincrement=True)
    channel: Mapped[str] = mapped_column(sa.String(100))
    payload: Mapped[str] = mapped_column(sa.Text)  # JSON
    # For people reading the table; pruning goes by id (see `reelpay.events.outbox`).
    created_at: Mapped[datetime] = mapped_column(
        UTCDateTime, server_default=sa.func.current_timestamp()
    )
