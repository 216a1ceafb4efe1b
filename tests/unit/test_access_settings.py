"""REGISTRATION and DEFAULT_ROLE: the development default, any case accepted, the rest refused
in one readable line each."""

from __future__ import annotations

import pytest

from core.config import load_settings
from core.config_access import Registration
from core.errors import ConfigError


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("REGISTRATION", "DEFAULT_ROLE"):
        monkeypatch.delenv(var, raising=False)


def test_open_and_trader_by_default() -> None:
    access = load_settings(None).access
    assert (access.registration, access.default_role) == (Registration.OPEN, "trader")


@pytest.mark.parametrize(
    ("registration", "role", "expected"),
    [
        ("approval", "viewer", (Registration.APPROVAL, "viewer")),
        (" Closed ", "TRADER", (Registration.CLOSED, "trader")),
        ("OPEN", "Viewer", (Registration.OPEN, "viewer")),
    ],
    ids=["approval-viewer", "closed-spaces", "upper-case"],
)
def test_modes_and_roles_read_in_any_case(
    monkeypatch: pytest.MonkeyPatch,
    registration: str,
    role: str,
    expected: tuple[Registration, str],
) -> None:
    monkeypatch.setenv("REGISTRATION", registration)
    monkeypatch.setenv("DEFAULT_ROLE", role)
    access = load_settings(None).access
    assert (access.registration, access.default_role) == expected


@pytest.mark.parametrize(
    ("var", "value", "line"),
    [
        ("REGISTRATION", "invite", "REGISTRATION: Input should be 'open', 'approval' or 'closed'"),
        ("DEFAULT_ROLE", "admin", "DEFAULT_ROLE: Input should be 'trader' or 'viewer'"),
        ("DEFAULT_ROLE", "api_user", "DEFAULT_ROLE: Input should be 'trader' or 'viewer'"),
    ],
    ids=["unknown-mode", "newcomers-never-admins", "no-machine-role"],
)
def test_bad_values_are_one_line_each(
    monkeypatch: pytest.MonkeyPatch, var: str, value: str, line: str
) -> None:
    monkeypatch.setenv(var, value)
    with pytest.raises(ConfigError) as info:
        load_settings(None)
    assert info.value.problems == [line]


def test_overrides_reach_the_section() -> None:
    access = load_settings(None, access={"registration": "closed"}).access
    assert access.registration is Registration.CLOSED
