"""API settings: production refuses to start without a secret of its own."""

from __future__ import annotations

import pytest

from adapters.database import SettingsError
from adapters.settings import DEVELOPMENT_SECRET, Settings


def test_development_runs_with_the_default_secret() -> None:
    settings = Settings.from_environment({})
    assert settings.environment == "development" and settings.secret == DEVELOPMENT_SECRET


@pytest.mark.parametrize(
    "environment",
    [
        {"BACKOFFICE_ENV": "production"},
        {"BACKOFFICE_ENV": "production", "BACKOFFICE_SECRET": ""},
        {"BACKOFFICE_ENV": "production", "BACKOFFICE_SECRET": DEVELOPMENT_SECRET},
        {"BACKOFFICE_ENV": "production", "BACKOFFICE_SECRET": "short"},
    ],
)
def test_production_refuses_a_missing_default_or_short_secret(environment: dict[str, str]) -> None:
    with pytest.raises(SettingsError, match="BACKOFFICE_SECRET"):
        Settings.from_environment(environment)


SEED = "11" * 32  # an Ed25519 seed, hex


def test_production_refuses_to_start_without_a_signing_key() -> None:
    with pytest.raises(SettingsError, match="BACKOFFICE_SIGNING_KEY"):
        Settings.from_environment({"BACKOFFICE_ENV": "production", "BACKOFFICE_SECRET": "x" * 32})


def test_an_unreadable_signing_key_is_refused_naming_the_setting(tmp_path: object) -> None:
    with pytest.raises(SettingsError, match="BACKOFFICE_SIGNING_KEY_FILE"):
        Settings.from_environment({"BACKOFFICE_SIGNING_KEY_FILE": "/nonexistent/key.pem"})
    with pytest.raises(SettingsError, match="BACKOFFICE_SIGNING_KEY"):
        Settings.from_environment({"BACKOFFICE_SIGNING_KEY": "not a key"})


def test_production_starts_with_a_secret_of_its_own() -> None:
    settings = Settings.from_environment(
        {"BACKOFFICE_ENV": "production", "BACKOFFICE_SECRET": "x" * 32, "BACKOFFICE_SIGNING_KEY": SEED}
    )
    assert settings.signer is not None and len(settings.signer.key_id) == 16
    assert settings.environment == "production"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("BACKOFFICE_ENV", "staging"),
        ("BACKOFFICE_PROJECTIONS", "sometimes"),
        ("BACKOFFICE_READ_WAIT_S", "soon"),
        ("BACKOFFICE_READ_WAIT_S", "600"),
        ("BACKOFFICE_BODY_BYTES_MAX", "10"),
    ],
)
def test_unusable_values_are_refused_naming_the_setting(name: str, value: str) -> None:
    with pytest.raises(SettingsError, match=name):
        Settings.from_environment({name: value})
