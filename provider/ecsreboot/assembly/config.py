"""Provider configuration: CheckConfig validation, environment fallbacks, typed settings.

Values arrive as strings (JSON text for non-strings) from stack config and from the generated
SDK's Provider; secret ones arrive wrapped. The declaration in core/resource.py names the keys,
their types and environment variables.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..core.checks import REGION_ID, CheckFailure
from ..core.errors import ConfigError
from ..core.resource import CONFIG, SIGNATURE_VERSIONS, Prop
from ..core.values import UNKNOWN, Secret, is_known, reveal
from ..ecs import endpoint_url

#: keys the engine adds that are not ours to judge
_ENGINE_KEYS = frozenset({"version", "pluginDownloadURL"})


@dataclass(frozen=True)
class ProviderConfig:
    """Typed provider settings after environment fallbacks. Credentials stay out of repr."""

    region: str | None = None
    access_key: str | None = field(default=None, repr=False)
    secret_key: str | None = field(default=None, repr=False)
    security_token: str | None = field(default=None, repr=False)
    profile: str | None = None
    endpoint: str | None = None
    signature_version: str = "v3"
    max_retries: int = 5
    request_timeout: float = 10.0
    max_requests_per_second: float | None = None

    def secrets(self) -> tuple[str | None, ...]:
        """The credentials among the settings (what logs and messages must never show)."""
        return self.access_key, self.secret_key, self.security_token


def normalize(values: Mapping[str, Any]) -> dict[str, Any]:
    """Config keys without a ``ecsreboot:`` / ``ecsreboot:config:`` prefix."""
    out: dict[str, Any] = {}
    for key, value in values.items():
        short = key.rsplit(":", 1)[-1]
        out[short] = value
    return out


def check_config(
    news: Mapping[str, Any], environ: Mapping[str, str]
) -> tuple[dict[str, Any], list[CheckFailure]]:
    """Validate config; return it with secret keys wrapped as secrets (they stay secret in state)."""
    values = normalize(news)
    declared = {p.name: p for p in CONFIG}
    failures: list[CheckFailure] = []
    checked: dict[str, Any] = {}
    for key, value in values.items():
        if key in _ENGINE_KEYS:
            checked[key] = value
            continue
        prop = declared.get(key)
        if prop is None:
            failures.append(CheckFailure(key, f"unknown configuration key ecsreboot:{key}; known keys: "
                                              f"{', '.join(sorted(declared))}"))
            continue
        if is_known(value) and reveal(value) is not None:
            # a secret value (declared secret, or made secret by the user) is never quoted back
            reason = _check(prop, _parse(prop, reveal(value)), secret=prop.secret or isinstance(value, Secret))
            if reason:
                failures.append(CheckFailure(key, reason))
        checked[key] = Secret(reveal(value)) if prop.secret and value is not UNKNOWN else value
    if not failures:
        failures.extend(_check_pairs(resolve(checked, environ)))
    return checked, failures


def resolve(values: Mapping[str, Any], environ: Mapping[str, str]) -> ProviderConfig:
    """Typed settings: explicit config first, then each key's environment variables. Unknowns are unset."""
    plain = {k: reveal(v) for k, v in normalize(values).items() if is_known(v)}
    settled: dict[str, Any] = {}
    for prop in CONFIG:
        raw = plain.get(prop.name)
        if raw is None or raw == "":
            raw = next((environ[e] for e in prop.env if environ.get(e)), None)
        if raw is not None:
            settled[prop.name] = _parse(prop, raw)
    return ProviderConfig(
        region=settled.get("region"),
        access_key=settled.get("accessKey"),
        secret_key=settled.get("secretKey"),
        security_token=settled.get("securityToken"),
        profile=settled.get("profile"),
        endpoint=settled.get("endpoint"),
        signature_version=settled.get("signatureVersion", "v3"),
        max_retries=int(settled.get("maxRetries", 5)),
        request_timeout=float(settled.get("requestTimeout", 10.0)),
        max_requests_per_second=settled.get("maxRequestsPerSecond"),
    )


def _parse(prop: Prop, raw: Any) -> Any:
    """Strings as they come; numbers and booleans from their JSON text.

    A string may also arrive JSON-encoded (``"\"v3\""``): Pulumi's Python codegen JSON-encodes
    enum-typed provider inputs, so a quoted string is unquoted.
    """
    if not isinstance(raw, str):
        return raw
    if prop.type in ("integer", "number", "boolean") or (len(raw) >= 2 and raw[0] == raw[-1] == '"'):
        try:
            return json.loads(raw)
        except ValueError:
            return raw
    return raw


def _check(prop: Prop, value: Any, *, secret: bool = False) -> str | None:
    shown = "(a secret value)" if secret else repr(value)
    if prop.type in ("string", "enum"):
        if not isinstance(value, str):
            return "must be a string"
        if prop.type == "enum" and value not in prop.choices:
            return f"must be one of {', '.join(prop.choices)}, got {shown}"
        if prop.name == "region" and not REGION_ID.fullmatch(value):
            return f"{shown} is not a region id (like cn-hangzhou)"
        if prop.name == "endpoint":
            return _check_endpoint(value, secret)
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return f"must be a finite number, got {shown}"
    if prop.type == "integer" and int(value) != value:
        return f"must be a whole number, got {shown}"
    if not secret:
        shown = f"{value:g}"
    accepted = _accepted_range(prop)
    if prop.minimum is not None and value < prop.minimum:
        return f"must be at least {prop.minimum:g}{accepted}, got {shown}"
    if prop.positive and value <= 0:
        return f"must be greater than 0{accepted}, got {shown}"
    if prop.maximum is not None and value > prop.maximum:
        return f"must be at most {prop.maximum:g}{accepted}, got {shown}"
    return None


def _accepted_range(prop: Prop) -> str:
    """`` (accepted: 0.01 to 1e+06)``: the whole range, named in every failure of a bounded number."""
    if prop.maximum is None:
        return ""
    low = f"{prop.minimum:g}" if prop.minimum is not None else "more than 0" if prop.positive else "any"
    unit = " seconds" if prop.name == "requestTimeout" else ""
    return f" (accepted: {low} to {prop.maximum:g}{unit})"


def _check_endpoint(value: str, secret: bool) -> str | None:
    """The client's own rule (ecs.config.endpoint_url), so Check and the client never disagree."""
    try:
        endpoint_url(value, "cn-hangzhou")
    except ConfigError as exc:
        if secret:
            return ("the (secret) endpoint is not a usable URL (expected e.g. http://127.0.0.1:8787 or "
                    "ecs.cn-beijing.aliyuncs.com)")
        return str(exc)
    return None


def _check_pairs(config: ProviderConfig) -> list[CheckFailure]:
    if config.access_key and not config.secret_key:
        return [CheckFailure("secretKey", "accessKey is set but secretKey is not: set both, or neither")]
    if config.secret_key and not config.access_key:
        return [CheckFailure("accessKey", "secretKey is set but accessKey is not: set both, or neither")]
    if config.signature_version not in SIGNATURE_VERSIONS:
        return [CheckFailure("signatureVersion", "must be v1 or v3")]
    return []
