"""Signals feature (being split into modules)."""

from services.signals.service import (
    SignalMessages,
    SignalService,
    SignalTrading,
    check_levels,
    parse_edit_value,
    parse_entry,
    parse_pair,
    parse_targets,
)

__all__ = [
    "SignalMessages",
    "SignalService",
    "SignalTrading",
    "check_levels",
    "parse_edit_value",
    "parse_entry",
    "parse_pair",
    "parse_targets",
]
