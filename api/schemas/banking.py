"""Bank statement and reconciliation bodies (a statement itself arrives as the raw body)."""

from __future__ import annotations

from uuid import UUID

from api.schemas.common import Request


class EntryIdIn(Request):
    entry_id: UUID
