"""The served app: what uvicorn's factory calls in each ``backoffice serve`` worker.

The API may not import the composition root (layers point down), so the root
hands it the way to build the system: each worker reads its settings from the
environment the CLI prepared, and the app builds the system at startup.
"""

from __future__ import annotations

from fastapi import FastAPI

from adapters.settings import Settings
from api.app import create_app
from backoffice.container import build_system


def create_served_app() -> FastAPI:
    settings = Settings.from_environment()
    return create_app(settings, build=lambda built_settings: build_system(settings=built_settings))
