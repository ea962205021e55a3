"""Reboots with recovery over a test's client, as the plugin and the CLI compose them."""

from __future__ import annotations

from typing import Any

from ecsreboot.ecs import EcsClient, Rebooter, RecoverySettings


def rebooter(client: EcsClient, **recovery: Any) -> Rebooter:
    """A ``Rebooter`` over ``client`` (a request is sent at most ``max_retries + 1`` times, as in production);
    ``recovery`` sets ``RecoverySettings`` fields (``polls``, ``interval``, ``stale_window``, ``clock_skew``)."""
    return Rebooter(client, RecoverySettings(**{"sends": client.retry.max_retries + 1, **recovery}))
