"""Inventory read models: the valuation projections (FIFO and moving average) over
the stock log, and the reads the API and the CLI answer from the stock books."""
