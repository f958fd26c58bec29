"""An item (a payment, a receipt) that has been screened, and its latest case."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain.kernel.topics import pin_topics


class ScreenedItem(Aggregate):
    """An item (a payment, a receipt) that has been screened: its latest case."""

    class ItemScreened(Aggregate.Created):
        item_kind: str
        item_id: str
        case_id: str
        list_version: str
        actor: str
        correlation_id: str

    class ItemRescreened(Aggregate.Event):
        case_id: str
        list_version: str
        actor: str
        correlation_id: str

        def apply(self, aggregate: Any) -> None:
            aggregate.latest_case_id = self.case_id
            aggregate.latest_version = self.list_version
            aggregate.case_count += 1

    def __init__(
        self,
        item_kind: str,
        item_id: str,
        case_id: str,
        list_version: str,
        actor: str,
        correlation_id: str,
    ) -> None:
        self.item_kind = item_kind
        self.item_id = item_id
        self.latest_case_id = case_id
        self.latest_version = list_version
        self.case_count = 1

    @classmethod
    def screened(
        cls,
        *,
        id: UUID,
        item_kind: str,
        item_id: str,
        case_id: str,
        list_version: str,
        actor: str,
        correlation_id: str,
    ) -> ScreenedItem:
        """The item's record, on its first screening."""
        return cls._create(
            cls.ItemScreened,
            id=id,
            item_kind=item_kind,
            item_id=item_id,
            case_id=case_id,
            list_version=list_version,
            actor=actor,
            correlation_id=correlation_id,
        )


# The log knows these events under their first module name (see domain.kernel.topics).
pin_topics("domain.screening", ScreenedItem)
