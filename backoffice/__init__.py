"""Composition root: settings, event-store wiring and the CLI."""
