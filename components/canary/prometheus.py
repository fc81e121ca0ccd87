"""Instant queries against the Prometheus HTTP API (`/api/v1/query`), with the standard library only, as
people run Prometheus: behind a bearer token or basic auth (from the environment or a file), with a
private CA, with extra headers (a tenant header). Secrets are never part of an error message.

Every answer is checked before it is read: an error, a matrix, a sample without a value, NaN: each
becomes a PrometheusError (a failed check for the gate), never a traceback.
"""

from __future__ import annotations

import base64
import json
import math
import os
import ssl
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from typing import Any

from .settings import PrometheusAuth, redact_url


class PrometheusError(Exception):
    """Prometheus could not answer, or answered something that is not a per-cluster vector."""


class CredentialsError(ValueError):
    """A credential the file names cannot be read: bad input, nothing queried."""


def _read_secret(what: str, env: str | None, path: str | None) -> str | None:
    if env is not None:
        value = os.environ.get(env)
        if not value:
            raise CredentialsError(f"{what}: the environment variable {env} is not set")
        return value.strip()
    if path is not None:
        try:
            with open(path, encoding="utf-8") as handle:
                return handle.read().strip()
        except OSError as error:
            raise CredentialsError(f"{what}: cannot read {path}: {error.strerror}") from None
    return None


def _split_userinfo(url: str) -> tuple[str, tuple[str, str] | None]:
    """The URL without user info, and the user info as basic-auth credentials."""
    parts = urllib.parse.urlsplit(url)
    if parts.username is None:
        return url, None
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    bare = urllib.parse.urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))
    return bare, (urllib.parse.unquote(parts.username), urllib.parse.unquote(parts.password or ""))


class Prometheus:
    def __init__(self, base_url: str, auth: PrometheusAuth | None = None, timeout_seconds: float = 10.0) -> None:
        auth = auth or PrometheusAuth()
        self.shown_url = redact_url(base_url.rstrip("/"))
        self.base_url, userinfo = _split_userinfo(base_url.rstrip("/"))
        self.timeout_seconds = timeout_seconds
        self.headers: dict[str, str] = dict(auth.headers)
        token = _read_secret("prometheusAuth bearer token", auth.bearer_token_env, auth.bearer_token_file)
        password = _read_secret("prometheusAuth.basicAuth password", auth.password_env, auth.password_file)
        basic = (auth.username, password or "") if auth.username is not None else userinfo
        if token is not None:
            self.headers["Authorization"] = f"Bearer {token}"
        elif basic is not None:
            self.headers["Authorization"] = "Basic " + base64.b64encode(f"{basic[0]}:{basic[1]}".encode()).decode()
        self.context: ssl.SSLContext | None = None
        if auth.ca_file is not None:
            try:
                self.context = ssl.create_default_context(cafile=auth.ca_file)
            except (OSError, ssl.SSLError) as error:
                raise CredentialsError(f"prometheusAuth.caFile: cannot read {auth.ca_file}: {error}") from None

    def _get(self, query: str) -> Any:
        url = f"{self.base_url}/api/v1/query?{urllib.parse.urlencode({'query': query})}"
        request = urllib.request.Request(url, headers=self.headers)
        try:
            with urllib.request.urlopen(request, timeout=self.timeout_seconds, context=self.context) as response:
                return json.load(response)
        except urllib.error.HTTPError as error:
            raise PrometheusError(f"{self.shown_url} refused the query: HTTP {error.code} {_error_text(error)}".rstrip()) from None
        except (urllib.error.URLError, OSError, ValueError) as error:
            reason = getattr(error, "reason", error)
            raise PrometheusError(f"cannot read {self.shown_url}/api/v1/query: {reason}") from None

    def by_cluster(self, query: str, label: str = "cluster") -> dict[str, float]:
        """An instant vector's values by `label`. NaN (0/0: no traffic) is left out, as no data."""
        body = self._get(query)
        data = body.get("data") if isinstance(body, Mapping) else None
        if not isinstance(body, Mapping) or body.get("status") != "success" or not isinstance(data, Mapping):
            error = body.get("error") if isinstance(body, Mapping) else None
            raise PrometheusError(f"{self.shown_url} did not answer the query: {error or 'no data in its answer'}")
        if data.get("resultType") != "vector":
            raise PrometheusError(f"{self.shown_url} answered a {data.get('resultType')!r}, not an instant vector")
        found: dict[str, float] = {}
        for sample in data.get("result") or []:
            metric = sample.get("metric") if isinstance(sample, Mapping) else None
            value = sample.get("value") if isinstance(sample, Mapping) else None
            if not isinstance(metric, Mapping) or not isinstance(value, list) or len(value) != 2:
                raise PrometheusError(f"{self.shown_url} answered a sample without a value: {str(sample)[:200]}")
            try:
                number = float(value[1])
            except (TypeError, ValueError):
                raise PrometheusError(f"{self.shown_url} answered a value that is not a number: {str(value[1])[:50]!r}") from None
            key = str(metric.get(label, ""))
            if key in found:
                raise PrometheusError(f"the query returned two series for {label}={key!r}; it must sum by ({label})")
            if not math.isnan(number):
                found[key] = number
        return found


def _error_text(error: urllib.error.HTTPError) -> str:
    try:
        return str(json.load(error).get("error", ""))[:200]
    except (ValueError, OSError, AttributeError):
        return ""
