"""Inventory: stock movements valued FIFO and moving average side by side.

The pure valuation engine (``costing``, ``movements``, ``fifo``,
``moving_average``, ``valuation``, ``checks``) holds no storage and no HTTP.
On it: the aggregates (``item``, ``location``, ``stock``: one stock log per
item), the service (``service``: items, locations, movements and reads), the
group recorder that decides many movements into one commit (``recording``,
with ``book``, ``staging``, ``commands``, ``postings``, ``results``) and the
refusals (``errors``).
"""
