"""The ledger's reads on the application: assets' scales, accounts, entries, periods.

The base of the ledger's commands (``EntryPosting``, ``LedgerCommands``) and
what a ``LedgerBatch`` stages against.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from uuid import UUID

from domain.kernel.money import AssetCatalog
from domain.kernel.unit_of_work import find
from domain.ledger.accounts import Account, account_id
from domain.ledger.assets import AssetDefinition, asset_id
from domain.ledger.errors import UnknownAccount, UnknownEntry
from domain.ledger.journal import JournalEntry
from domain.ledger.periods import Period, period_id

if TYPE_CHECKING:
    from domain.application import ApplicationCore as _Core
else:
    _Core = object


class LedgerReads(_Core):
    """Reads mixed into ``BackOffice``."""

    def catalog(self) -> AssetCatalog:
        return AssetCatalog(lookup=self._registered_scale)

    def _registered_scale(self, code: str) -> int | None:
        scale = self._asset_scales.get(code)
        if scale is None:
            definition = find(self, asset_id(code), AssetDefinition)
            if definition is None:
                return None
            scale = self._asset_scales[code] = definition.scale
        return scale

    def get_account(self, code: str) -> Account:
        account = find(self, account_id(code), Account)
        if account is None:
            raise UnknownAccount(f"account {code!r} does not exist", field="account")
        return account

    def get_entry(self, entry_id: UUID) -> JournalEntry:
        entry = find(self, entry_id, object)
        if entry is None:
            raise UnknownEntry(f"journal entry {entry_id} does not exist", field="entry_id")
        if not isinstance(entry, JournalEntry):
            raise UnknownEntry(f"{entry_id} is not a journal entry", field="entry_id")
        return entry

    def is_period_closed(self, period: str) -> bool:
        record = find(self, period_id(period), Period)
        return record is not None and record.closed
