"""Inventory valuation: FIFO and moving average side by side, as pure folds.

The package holds no storage and no HTTP: an aggregate decides a stock movement
with these rules, and a projection replays the same folds to rebuild a report.
"""
