"""Typed reads from one block of raw config that record problems instead of raising.

A Section knows its own config key (`meshfleet:clusters[1].create`), so every problem names the exact
key a user has to edit. Unknown keys are problems too: a typo must not be silently ignored.
"""

from __future__ import annotations

import difflib
import ipaddress
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, TypeVar

from .problems import Problems

T = TypeVar("T")
_MISSING = object()

DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")
DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
LABEL_VALUE = re.compile(r"^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$")
EXACT_VERSION = re.compile(r"^\d+\.\d+\.\d+$")

DNS_LABEL_HINT = "lowercase letters, digits and '-', at most 63 characters, starting and ending with a letter or digit"


def quote(value: object) -> str:
    return repr(value) if isinstance(value, str) else str(value)


def choice_list(choices: Iterable[object]) -> str:
    return ", ".join(quote(c) for c in choices)


def _types(expected: type | tuple[type, ...]) -> tuple[type, ...]:
    return expected if isinstance(expected, tuple) else (expected,)


def _shown(value: object) -> str:
    return f"the number {value}" if isinstance(value, (int, float)) and not isinstance(value, bool) else quote(value)


def quote_hint(name: str, value: int | float) -> str:
    """How to write a number as the string a setting expects. YAML reads an unquoted `1.30` as the number
    1.3, dropping the zero a version needs, so a version with one decimal is shown with that zero back."""
    text = str(value)
    if isinstance(value, float) and "version" in name.lower() and len(text.partition(".")[2]) == 1:
        return f"YAML reads an unquoted {text}0 as the number {text}: quote it, e.g. {name}: '{text}0'"
    return f"quote it: {name}: '{text}'"


CIDR_HINT = "not a CIDR block with its host bits zero, e.g. '203.0.113.0/24'"


def _is_cidr(value: str) -> bool:
    try:
        ipaddress.ip_network(value, strict=True)
    except ValueError:
        return False
    return True


class Section:
    def __init__(self, raw: object, key: str, problems: Problems) -> None:
        self.key = key
        self.problems = problems
        if raw is None:
            raw = {}
        if not isinstance(raw, Mapping):
            problems.add(key, f"expected a mapping of settings, got {quote(raw)}")
            raw = {}
        self.raw: Mapping[str, Any] = raw

    def child_key(self, name: str) -> str:
        # The root section's key is the namespace ("meshfleet:"); deeper keys are dotted paths.
        return f"{self.key}{name}" if self.key.endswith(":") else f"{self.key}.{name}"

    def has(self, name: str) -> bool:
        return self.raw.get(name) is not None

    def problem(self, name: str, message: str) -> None:
        self.problems.add(self.child_key(name), message)

    def reject_unknown(self, allowed: Iterable[str]) -> None:
        allowed = list(allowed)
        for name in self.raw:
            if name not in allowed:
                close = difflib.get_close_matches(str(name), allowed, n=1)
                hint = f"did you mean {close[0]!r}? " if close else ""
                self.problem(str(name), f"unknown setting; {hint}known settings: {choice_list(sorted(allowed))}")

    def _get(self, name: str, expected: type | tuple[type, ...], what: str) -> Any:
        value = self.raw.get(name, _MISSING)
        if value is _MISSING or value is None:
            return _MISSING
        # bool is an int in Python; a YAML `true` must not pass as a number.
        if isinstance(value, bool) and bool not in _types(expected):
            self.problem(name, f"expected {what}, got {quote(value)}")
            return None
        if not isinstance(value, expected):
            quoting = f"; {quote_hint(name, value)}" if str in _types(expected) and isinstance(value, (int, float)) else ""
            self.problem(name, f"expected {what}, got {_shown(value)}{quoting}")
            return None
        return value

    def string(self, name: str, default: str | None = None, *, required: str | None = None) -> str | None:
        """A string; `required` is the hint shown when it is missing (e.g. what to set it to)."""
        value = self._get(name, str, "a string")
        if value is _MISSING:
            if required is not None:
                self.problem(name, f"is required; {required}")
            return default
        if value is not None and not value.strip():
            self.problem(name, "must not be empty")
            return None
        return value

    def choice(self, name: str, choices: Sequence[T], default: T | None = None, *, required: bool = False) -> T | None:
        value = self._get(name, str, f"one of {choice_list(choices)}")
        if value is _MISSING:
            if required:
                self.problem(name, f"is required; one of {choice_list(choices)}")
            return default
        if value is None:
            return None
        if value not in choices:
            self.problem(name, f"{quote(value)} is not supported; use one of {choice_list(choices)}")
            return None
        return value  # type: ignore[no-any-return]

    def integer(self, name: str, default: int, *, minimum: int, maximum: int, unit: str = "") -> int | None:
        value = self._get(name, int, "a whole number")
        if value is _MISSING:
            return default
        if value is None:
            return None
        if not minimum <= value <= maximum:
            suffix = f" {unit}" if unit else ""
            self.problem(name, f"{value}{suffix} is out of range; allowed: {minimum} to {maximum}{suffix}")
            return None
        return int(value)

    def boolean(self, name: str, default: bool) -> bool:
        value = self._get(name, bool, "true or false")
        if value is _MISSING or value is None:
            return default
        return bool(value)

    def strings(self, name: str, default: Sequence[str] = ()) -> tuple[str, ...] | None:
        value = self._get(name, list, "a list of strings")
        if value is _MISSING:
            return tuple(default)
        if value is None:
            return None
        bad = [v for v in value if not isinstance(v, str) or not v]
        if bad:
            number = isinstance(bad[0], (int, float)) and not isinstance(bad[0], bool)
            self.problem(name, f"expected a list of non-empty strings, got {_shown(bad[0])} in it" + ("; quote it" if number else ""))
            return None
        return tuple(value)

    def cidrs(self, name: str, default: Sequence[str] = ()) -> tuple[str, ...] | None:
        values = self.strings(name, default)
        if values is None:
            return None
        for i, value in enumerate(values):
            if not _is_cidr(value):
                self.problems.add(f"{self.child_key(name)}[{i}]", f"{quote(value)} is {CIDR_HINT}")
                return None
        return values

    def cidr(self, name: str, default: str) -> str:
        """One CIDR block; "" (with a problem recorded) if it is not one."""
        value = self.string(name, default)
        if value is None:
            return ""
        if not _is_cidr(value):
            self.problem(name, f"{quote(value)} is {CIDR_HINT}")
            return ""
        return value

    def items(self, name: str, *, required: str | None = None) -> list[tuple[str, object]]:
        """A list of blocks, each with its indexed key (`...clusters[2]`)."""
        value = self._get(name, list, "a list")
        if value is _MISSING:
            if required is not None:
                self.problem(name, f"is required; {required}")
            return []
        if value is None:
            return []
        return [(f"{self.child_key(name)}[{i}]", item) for i, item in enumerate(value)]

    def section(self, name: str) -> Section:
        return Section(self.raw.get(name), self.child_key(name), self.problems)

    def dns_label(self, name: str, value: str | None, what: str) -> str | None:
        if value is not None and not DNS_LABEL.match(value):
            self.problem(name, f"{quote(value)} is not a valid {what}: use {DNS_LABEL_HINT}")
            return None
        return value
