"""Instant queries against the Prometheus HTTP API (`/api/v1/query`), with the standard library only."""

from __future__ import annotations

import json
import math
import urllib.error
import urllib.parse
import urllib.request


class PrometheusError(Exception):
    """Prometheus could not answer; the gate then decides nothing."""


class Prometheus:
    def __init__(self, base_url: str, timeout_seconds: float = 10.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout_seconds = timeout_seconds

    def scalar(self, query: str) -> float | None:
        """The one value of an instant query; None when it has no series (no traffic) or is NaN (0/0)."""
        url = f"{self.base_url}/api/v1/query?{urllib.parse.urlencode({'query': query})}"
        try:
            with urllib.request.urlopen(url, timeout=self.timeout_seconds) as response:
                body = json.load(response)
        except urllib.error.HTTPError as error:
            raise PrometheusError(f"{self.base_url} refused the query {query!r}: HTTP {error.code} {_error_text(error)}") from None
        except (urllib.error.URLError, OSError, json.JSONDecodeError) as error:
            reason = getattr(error, "reason", error)
            raise PrometheusError(f"cannot read {self.base_url}/api/v1/query: {reason}") from None
        result = body.get("data", {}).get("result", [])
        if len(result) > 1:
            raise PrometheusError(f"the query {query!r} returned {len(result)} series, expected one")
        if not result:
            return None
        value = float(result[0]["value"][1])
        return None if math.isnan(value) else value


def _error_text(error: urllib.error.HTTPError) -> str:
    try:
        return str(json.load(error).get("error", ""))
    except (json.JSONDecodeError, OSError):
        return ""
