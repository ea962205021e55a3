"""Health checks of rebooted instances, as values: the check, its URL template, and how to show it.

Stdlib only and no I/O: the probes themselves are ``ecs/probes.py``. The URL template is
``http://``, ``https://`` or ``tcp://`` with placeholders filled per instance from DescribeInstances:
``{instanceId}``, ``{privateIp}`` (the first VPC private IP, or the classic network's inner IP) and
``{publicIp}`` (the public IP, or the EIP). A URL's user-info and query string may carry tokens:
``redact_url`` drops them, and nothing else of a URL is ever shown.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

SCHEMES: tuple[str, ...] = ("http", "https", "tcp")
PLACEHOLDERS: tuple[str, ...] = ("instanceId", "privateIp", "publicIp")
#: healthy HTTP answers when ``expectedStatus`` is not given
DEFAULT_STATUSES = range(200, 400)
HEALTH_CHECK_FAILED = "HealthCheckFailed"
#: the longest wait any field accepts (a day): beyond it a typo, not a setting
MAX_SECONDS = 86_400.0
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
#: what a placeholder stands for while the template is parsed as a URL
_SAMPLE = {"instanceId": "i-sample", "privateIp": "192.0.2.1", "publicIp": "192.0.2.2"}


@dataclass(frozen=True)
class HealthCheck:
    """A checked ``healthCheck`` input; seconds are floats. ``secret``: never show the URL at all."""

    url: str
    expected_status: tuple[int, ...] = ()
    timeout: float = 5.0
    interval: float = 5.0
    healthy_threshold: int = 1
    unhealthy_threshold: int | None = None
    initial_delay: float = 0.0
    secret: bool = False

    @property
    def scheme(self) -> str:
        return self.url.split(":", 1)[0].lower()

    def healthy_status(self, status: int) -> bool:
        return status in (self.expected_status or DEFAULT_STATUSES)

    def shown_url(self) -> str:
        """The URL as logs, previews and errors may show it."""
        return "(secret)" if self.secret else redact_url(self.url)

    def describe(self) -> str:
        """One line for a preview's rollout plan."""
        statuses = ", ".join(map(str, self.expected_status)) if self.expected_status else "200-399"
        expect = "" if self.scheme == "tcp" else f", healthy on HTTP {statuses}"
        fail = (f", failed after {self.unhealthy_threshold} failure(s) in a row" if self.unhealthy_threshold
                else ", failed only at the round's deadline")
        delay = f", first probe {self.initial_delay:g}s after Running" if self.initial_delay else ""
        return (f"probe {self.shown_url()} every {self.interval:g}s (timeout {self.timeout:g}s){expect}, "
                f"healthy after {self.healthy_threshold} success(es) in a row{fail}{delay}")

    @classmethod
    def from_input(cls, value: Mapping[str, Any], *, secret: bool = False) -> HealthCheck:
        """From a checked (valid, revealed) ``healthCheck`` input."""
        unhealthy = value.get("unhealthyThreshold")
        return cls(
            url=str(value["url"]),
            expected_status=tuple(int(s) for s in value.get("expectedStatus") or ()),
            timeout=float(value.get("timeoutSeconds", 5.0)),
            interval=float(value.get("intervalSeconds", 5.0)),
            healthy_threshold=int(value.get("healthyThreshold", 1)),
            unhealthy_threshold=int(unhealthy) if unhealthy is not None else None,
            initial_delay=float(value.get("initialDelaySeconds", 0.0)),
            secret=secret,
        )


def redact_url(url: str) -> str:
    """``url`` without user-info, query string and fragment (``https://u:p@h/x?t=1`` -> ``https://h/x``)."""
    try:
        parts = urlsplit(url)
        host = parts.netloc.rpartition("@")[2]
        return urlunsplit((parts.scheme, host, parts.path, "", ""))
    except ValueError:
        return "(an unreadable URL)"


def placeholders_of(template: str) -> list[str]:
    return _PLACEHOLDER.findall(template)


def fill(template: str, values: Mapping[str, str]) -> tuple[str | None, str | None]:
    """(URL, None), or (None, the placeholder with no value) -- e.g. an instance without public IP."""
    for name in placeholders_of(template):
        if not values.get(name):
            return None, name
    return _PLACEHOLDER.sub(lambda m: values[m.group(1)], template), None


def url_problems(template: str) -> list[str]:
    """Why a URL template is unusable (empty when it is fine). Never quotes user-info or query."""
    unknown = sorted({p for p in placeholders_of(template) if p not in PLACEHOLDERS})
    if unknown:
        return [f"unknown placeholder(s) {', '.join('{' + p + '}' for p in unknown)}; known: "
                f"{', '.join('{' + p + '}' for p in PLACEHOLDERS)}"]
    sample = _PLACEHOLDER.sub(lambda m: _SAMPLE[m.group(1)], template)
    if any(c.isspace() for c in sample) or "{" in sample or "}" in sample:
        return ["must not contain spaces or stray braces"]
    try:
        parts = urlsplit(sample)
        port = parts.port
    except ValueError as exc:
        return [f"is not a valid URL ({str(exc).split(':')[0]})"]
    if parts.scheme.lower() not in SCHEMES:
        return [f"must start with http://, https:// or tcp://, got {parts.scheme + '://' if parts.scheme else 'none'}"]
    if not parts.hostname:
        return ["names no host (use e.g. http://{privateIp}:8080/healthz)"]
    if parts.scheme.lower() == "tcp":
        if port is None:
            return ["a tcp:// URL needs a port (tcp://{privateIp}:22)"]
        if parts.path not in ("", "/") or parts.query:
            return ["a tcp:// URL has only a host and a port"]
    return []


def field_problems(value: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(field, reason) for each bad field of a revealed ``healthCheck`` object, besides ``url``."""
    found: list[tuple[str, str]] = []
    for name, low, positive in (("timeoutSeconds", 0.0, True), ("intervalSeconds", 0.0, True),
                                ("initialDelaySeconds", 0.0, False)):
        if name in value and value[name] is not None:
            reason = number_problem(value[name], low, positive=positive, high=MAX_SECONDS)
            if reason:
                found.append((name, reason))
    for name in ("healthyThreshold", "unhealthyThreshold"):
        if name in value and value[name] is not None:
            reason = whole_problem(value[name], 1, high=10_000)
            if reason:
                found.append((name, reason))
    statuses = value.get("expectedStatus")
    if statuses is not None:
        if not isinstance(statuses, list) or not statuses:
            found.append(("expectedStatus", "must be a non-empty list of HTTP status codes"))
        else:
            bad = [s for s in statuses if whole_problem(s, 100, high=599)]
            if bad:
                found.append(("expectedStatus", f"must list HTTP status codes (100-599), got {bad[0]!r}"))
    return found


def number_problem(value: Any, low: float, *, positive: bool = False, high: float | None = None) -> str | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return "must be a number"
    if not math.isfinite(value):
        return f"must be a finite number, got {value!r}"
    if positive and value <= low:
        return f"must be greater than {low:g}, got {value!r}"
    if value < low:
        return f"must be at least {low:g}, got {value!r}"
    if high is not None and value > high:
        return f"must be at most {high:g}, got {value!r}"
    return None


def whole_problem(value: Any, low: int, *, high: int | None = None) -> str | None:
    reason = number_problem(value, low, high=high)
    if reason:
        return reason.replace("a number", "a whole number")
    if int(value) != value:
        return f"must be a whole number, got {value!r}"
    return None
