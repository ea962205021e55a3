"""The credentials value. Resolving them (config, environment, profile, chain) lives in ecs/credentials.py."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Credentials:
    """An access key pair, with an STS token for temporary credentials.

    The repr shows none of the three values: even the access key id is treated as secret,
    so a credential that reaches a log or an exception by accident says nothing.
    """

    access_key_id: str = field(repr=False)
    access_key_secret: str = field(repr=False)
    security_token: str | None = field(default=None, repr=False)
    #: where they came from ("config", "environment", "profile:<name>", "default chain"), for messages
    source: str = "config"

    def __repr__(self) -> str:
        kind = "sts" if self.security_token else "ak"
        return f"Credentials(<{kind}, from {self.source}>)"

    __str__ = __repr__

    def secrets(self) -> tuple[str, ...]:
        """The values that must never appear in output, for scrubbing and leak tests."""
        return tuple(v for v in (self.access_key_id, self.access_key_secret, self.security_token) if v)
