"""The backend both provider edges hand their lifecycle: the real one (``backend.EcsBackend``) built on first use.

The ECS client (``requests``/``urllib3``, the credential chain) loads when a step first needs the API -- not at
start-up, which the engine times until the port or handshake line, nor at Configure: a preview or plan of
unchanged resources never needs it, so it never pays for it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from ..core.model import ProgressEvent, RoundOptions, RoundResult
from ..core.selection import Selection, Selector
from .config import ProviderConfig

if TYPE_CHECKING:
    from ..ecs import DryRunReport
    from .backend import EcsBackend


class LazyBackend:
    """``lifecycle.RebootBackend`` over ``backend.make_backend(config)``, made by the first call that needs it."""

    def __init__(self, config: ProviderConfig) -> None:
        self._config = config
        self._lock = threading.Lock()
        self._backend: EcsBackend | None = None

    def _get(self) -> EcsBackend:
        with self._lock:
            if self._backend is None:
                from .backend import make_backend

                self._backend = make_backend(self._config)
            return self._backend

    def credentials_problem(self) -> str | None:
        return self._get().credentials_problem()

    def select(self, selector: Selector, region_id: str, cancel: threading.Event, timeout: float,
               on_listed: Callable[[int], None] | None = None) -> Selection:
        return self._get().select(selector, region_id, cancel, timeout, on_listed)

    def run_round(self, instance_ids: Sequence[str], options: RoundOptions, progress: Callable[[ProgressEvent], None],
                  cancel: threading.Event, selection: Selection | None = None) -> RoundResult:
        return self._get().run_round(instance_ids, options, progress, cancel, selection)

    def dry_run(self, instance_ids: Sequence[str], options: RoundOptions,
                cancel: threading.Event | None = None) -> DryRunReport:
        return self._get().dry_run(instance_ids, options, cancel)
