"""Inventory commands over the one ``BackOffice`` application.

``Inventory(app)`` opens and changes items and locations, records stock
movements (receipts, issues, transfers, returns to the supplier, adjustments
and counts) with their journal entries in the same commit, and answers stock
on hand and its valuation by either method as of a date or a log position.

Movements go through ``record_movements`` (many commands, one commit: see
``domain.inventory.recording``); ``receive``, ``issue`` and the others record
one and raise its refusal. A refusal writes nothing.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Sequence
from datetime import date
from typing import TYPE_CHECKING, Any

from eventsourcing.persistence import IntegrityError

from domain.inventory.book import StockBook
from domain.inventory.checks import ItemFigures, check_history, ledger_findings
from domain.inventory.commands import (
    AdjustStock,
    IssueGoods,
    MovementCommand,
    ReceiveGoods,
    ReturnToSupplier,
    TransferStock,
)
from domain.inventory.errors import (
    InvalidItem,
    ItemAlreadyExists,
    LocationAlreadyExists,
    UnknownItem,
    UnknownLocation,
)
from domain.inventory.item import (
    ACCOUNT_ROLES,
    CHANGEABLE_ROLES,
    NAME_LENGTH_MAX,
    UNIT_LENGTH_MAX,
    Item,
    check_code,
    check_costing_method,
    check_quantity_scale,
    item_id,
)
from domain.inventory.location import Location, location_id
from domain.inventory.recording import MovementRecorder
from domain.inventory.results import LocationValuation, MovementOutcome, StockValuation
from domain.inventory.staging import outcome_of_event
from domain.inventory.stock import ItemStock, stock_id
from domain.inventory.valuation import METHODS, stock_position
from domain.kernel import limits
from domain.kernel.context import Context
from domain.kernel.errors import DomainError, InvalidInput
from domain.kernel.money import check_asset_code
from domain.kernel.unit_of_work import find, ids_with_topic, save_once
from domain.ledger.errors import AccountClosed, AssetNotAllowed

if TYPE_CHECKING:
    from domain.application import BackOffice


class Inventory:
    """The inventory commands and reads over ``app``."""

    def __init__(self, app: BackOffice) -> None:
        self.app = app
        self.recorder = MovementRecorder(app)

    # --- items and locations ---------------------------------------------------

    def open_item(
        self,
        context: Context,
        *,
        sku: str,
        name: str,
        unit: str,
        quantity_scale: int,
        costing_method: str,
        asset: str,
        accounts: dict[str, str],
    ) -> int:
        """Open an item and its stock log in one commit. Returns the log position."""
        context.checked()
        sku = check_code(sku, "sku")
        name = limits.bounded_text(name, "name", NAME_LENGTH_MAX)
        unit = limits.bounded_text(unit, "unit", UNIT_LENGTH_MAX)
        quantity_scale = check_quantity_scale(quantity_scale)
        costing_method = check_costing_method(costing_method)
        check_asset_code(asset, field="asset")
        asset_scale = self.app.catalog().scale_of(asset, field="asset")
        checked = self._accounts(accounts, asset, ACCOUNT_ROLES)
        terms: dict[str, Any] = {
            "sku": sku, "asset": asset, "asset_scale": asset_scale,
            "quantity_scale": quantity_scale, "costing_method": costing_method,
            "actor": context.actor, "correlation_id": context.correlation_id,
        }
        item = Item.opened(
            id=item_id(sku), name=name, unit=unit, accounts=checked, **terms
        )
        stock = ItemStock.opened(id=stock_id(sku), **terms)
        with self.app.write_lock:
            try:
                recordings = self.app.save(item, stock)
            except IntegrityError:
                raise ItemAlreadyExists(f"sku: item {sku} already exists", field="sku") from None
        return int(recordings[-1].notification.id)

    def change_item(
        self,
        context: Context,
        sku: str,
        *,
        name: str | None = None,
        unit: str | None = None,
        accounts: dict[str, str] | None = None,
    ) -> int:
        """Change an item's name, unit or accounts other than inventory."""
        context.checked()
        with self.app.write_lock:
            item = self.get_item(sku)
            new_accounts = {role: item.accounts[role] for role in CHANGEABLE_ROLES}
            if accounts is not None:
                fixed = set(accounts) - set(CHANGEABLE_ROLES)
                if fixed:
                    raise InvalidItem(
                        f"accounts: {', '.join(sorted(fixed))} cannot change (the inventory"
                        " account follows the item's layers; roles are "
                        f"{', '.join(CHANGEABLE_ROLES)})",
                        field="accounts",
                    )
                new_accounts |= self._accounts(accounts, item.asset, tuple(accounts))
            item.trigger_event(
                Item.ItemChanged,
                name=item.name if name is None else limits.bounded_text(name, "name", NAME_LENGTH_MAX),
                unit=item.unit if unit is None else limits.bounded_text(unit, "unit", UNIT_LENGTH_MAX),
                accounts=new_accounts,
                actor=context.actor,
                correlation_id=context.correlation_id,
            )
            return save_once(self.app, item, conflict=f"item {sku} changed concurrently; retry")

    def _accounts(self, accounts: object, asset: str, roles: Sequence[str]) -> dict[str, str]:
        if not isinstance(accounts, dict) or set(accounts) != set(roles):
            raise InvalidItem(f"accounts: give exactly {', '.join(roles)}", field="accounts")
        checked: dict[str, str] = {}
        for role in roles:
            field = f"accounts.{role}"
            account = self.app.get_account(limits.bounded_text(accounts[role], field, 64))
            if account.closed:
                raise AccountClosed(f"{field}: account {account.code} is closed", field=field)
            if asset not in account.assets:
                raise AssetNotAllowed(
                    f"{field}: account {account.code} does not hold {asset}", field=field
                )
            if role == "inventory" and account.account_type != "asset":
                raise InvalidItem(f"{field}: must be an asset account", field=field)
            checked[role] = account.code
        return checked

    def get_item(self, sku: str) -> Item:
        item = find(self.app, item_id(check_code(sku, "item")), Item)
        if item is None:
            raise UnknownItem(f"item: no item has SKU {sku!r}", field="item")
        return item

    def list_items(self) -> list[Item]:
        ids = ids_with_topic(self.app, Item.ItemOpened)
        found = self.app.current_aggregates(ids)
        return [item for item in (found[key] for key in ids) if isinstance(item, Item)]

    def open_location(self, context: Context, code: str, name: str) -> int:
        context.checked()
        code = check_code(code, "code")
        location = Location.opened(
            id=location_id(code), code=code,
            name=limits.bounded_text(name, "name", NAME_LENGTH_MAX),
            actor=context.actor, correlation_id=context.correlation_id,
        )
        with self.app.write_lock:
            try:
                recordings = self.app.save(location)
            except IntegrityError:
                raise LocationAlreadyExists(
                    f"code: location {code} already exists", field="code"
                ) from None
        return int(recordings[-1].notification.id)

    def rename_location(self, context: Context, code: str, name: str) -> int:
        context.checked()
        with self.app.write_lock:
            location = self.get_location(code)
            location.trigger_event(
                Location.LocationRenamed, name=limits.bounded_text(name, "name", NAME_LENGTH_MAX),
                actor=context.actor, correlation_id=context.correlation_id,
            )
            return save_once(self.app, location)

    def get_location(self, code: str) -> Location:
        location = find(self.app, location_id(check_code(code, "location")), Location)
        if location is None:
            raise UnknownLocation(f"location: no location has code {code!r}", field="location")
        return location

    # --- movements -------------------------------------------------------------

    def record_movements(
        self, commands: Sequence[MovementCommand]
    ) -> list[MovementOutcome | DomainError]:
        """Record many movements in one commit; each gets its own outcome."""
        return self.recorder.record(commands)

    def record(self, command: MovementCommand) -> MovementOutcome:
        """Record one movement; raises its refusal."""
        outcome = self.recorder.record([command])[0]
        if isinstance(outcome, DomainError):
            raise outcome
        return outcome

    def receive(self, command: ReceiveGoods) -> MovementOutcome:
        return self.record(command)

    def issue(self, command: IssueGoods) -> MovementOutcome:
        return self.record(command)

    def transfer(self, command: TransferStock) -> MovementOutcome:
        return self.record(command)

    def return_to_supplier(self, command: ReturnToSupplier) -> MovementOutcome:
        return self.record(command)

    def adjust(self, command: AdjustStock) -> MovementOutcome:
        return self.record(command)

    # --- reads -------------------------------------------------------------------

    def valuation(
        self,
        sku: str,
        *,
        method: str | None = None,
        location: str | None = None,
        as_of_date: str | None = None,
        as_of_position: int | None = None,
    ) -> StockValuation:
        """Stock on hand of ``sku`` and its value by ``method`` (the item's own by
        default), per location, after the movements effective on or before
        ``as_of_date`` and recorded at or before ``as_of_position`` (inclusive)."""
        if method is not None and method not in METHODS:
            raise InvalidInput(f"method: one of {', '.join(METHODS)}", field="method")
        on = None if as_of_date is None else date.fromisoformat(limits.effective_date(as_of_date, "as_of_date"))
        with self.app.write_lock:
            book = self._book(sku)
            chosen = method if method is not None else book.method
            sequence = None if as_of_position is None else self._sequence_at(book, as_of_position)
            position = stock_position(book.history(), as_of_date=on, as_of_sequence=sequence)
        lines = [
            LocationValuation(
                stock.location, stock.qty,
                stock.fifo_value if chosen == "fifo" else stock.moving_average_value,
                stock.layers if chosen == "fifo" else (),
            )
            for stock in position.locations
            if location is None or stock.location == location
        ]
        return StockValuation(
            book.spec.item, chosen, book.spec, as_of_date, as_of_position, tuple(lines)
        )

    def _sequence_at(self, book: StockBook, position: int) -> int:
        """How many of the item's movements were recorded at or before ``position``
        (a binary search over the positions of its movement events)."""
        if not isinstance(position, int) or isinstance(position, bool) or position < 0:
            raise InvalidInput("as_of_position: a non-negative integer", field="as_of_position")
        if self.app.position_probe is None:
            raise InvalidInput("as_of_position: this store cannot answer by position", field="as_of_position")

        def at(version: int) -> int:
            found = self.app.position_of(book.aggregate.id, version)
            assert found is not None
            return found

        return bisect.bisect_right(book.versions, position, key=at)

    def movements(self, sku: str) -> list[MovementOutcome]:
        """The item's movements in recorded order, as recorded (the corrections
        each caused included); positions are left to the audit trail."""
        with self.app.write_lock:
            book = self._book(sku)
            events = sorted(book.events.values(), key=lambda event: event.sequence)
            return [
                outcome_of_event(book.spec, event, book.corrections.get(event.movement_id, []), None)
                for event in events
            ]

    def _book(self, sku: str) -> StockBook:
        checked = check_code(sku, "item")
        book = self.recorder.books([checked]).get(checked)
        if book is None:
            raise UnknownItem(f"item: no item has SKU {sku!r}", field="item")
        return book

    # --- the invariant -------------------------------------------------------------

    def check(
        self, balance_of: Callable[[str, str], int], skus: Sequence[str] | None = None
    ) -> list[str]:
        """Findings (empty when all holds): quantities never negative and both
        methods agreeing (``check_history``), and the inventory account's
        balance (``balance_of(account, asset)``, debit positive) equal to the
        layers of its items' own methods, per item and per account. ``skus``
        limits the check to those items (their accounts must hold no others)."""
        findings: list[str] = []
        figures: list[ItemFigures] = []
        items = self.list_items() if skus is None else [self.get_item(sku) for sku in skus]
        for item in items:
            with self.app.write_lock:
                book = self._book(item.sku)
                history = book.history()
                posted = posted_net(book)
            findings.extend(f"{item.sku}: {finding}" for finding in check_history(history))
            state = history.final
            layers_value = sum(
                state.fifo.value_at(name) if book.method == "fifo" else state.moving_average.value_at(name)
                for name in set(state.fifo.layers) | set(state.moving_average.pools)
            )
            figures.append(
                ItemFigures(item.sku, item.account("inventory"), item.asset, layers_value, posted)
            )
        return findings + ledger_findings(figures, balance_of)


def posted_net(book: StockBook) -> int:
    """What the item's events say was posted to inventory, net (debit positive)."""
    net = 0
    for event in book.events.values():
        if isinstance(event, ItemStock.GoodsReceived):
            net += event.value_minor
        elif isinstance(event, ItemStock.StockAdjusted):
            net += event.value_minor - event.cost_minor
        elif isinstance(event, ItemStock.GoodsIssued | ItemStock.GoodsReturnedToSupplier):
            net -= event.cost_minor
    for corrections in book.corrections.values():
        for correction in corrections:
            if not isinstance(book.events[correction.movement_id], ItemStock.StockTransferred):
                net -= correction.delta_minor
    return net
