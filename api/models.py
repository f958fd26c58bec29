"""Moved: the bodies live per area in ``api.schemas`` (``api.schemas.common``
for what areas share). Kept only for ``api.routes.ops``, which still imports
``Health`` from here."""

from __future__ import annotations

from api.schemas.common import Health

__all__ = ["Health"]
