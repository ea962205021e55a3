"""Values of a reboot round: what was asked, what happened to each instance, how it went."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from .health import HealthCheck

BatchOptimization = Literal["AllTogether", "SuccessFirst"]
RebootApi = Literal["RebootInstances", "RebootInstance"]

SUCCESS_CODE = "200"
BATCH_OPTIMIZATIONS: tuple[str, ...] = ("AllTogether", "SuccessFirst")
REBOOT_APIS: tuple[str, ...] = ("RebootInstances", "RebootInstance")


@dataclass(frozen=True, slots=True)
class InstanceOutcome:
    """What happened to one instance, as the API reported it. ``code`` is ``"200"`` for success."""

    instance_id: str
    code: str
    message: str = ""
    previous_status: str = ""
    current_status: str = ""

    @property
    def ok(self) -> bool:
        return self.code == SUCCESS_CODE

    def to_output(self) -> dict[str, str]:
        """The camelCase shape of the resource's ``results`` output."""
        return {
            "instanceId": self.instance_id,
            "code": self.code,
            "message": self.message,
            "previousStatus": self.previous_status,
            "currentStatus": self.current_status,
        }


@dataclass(frozen=True)
class RoundOptions:
    """How to reboot. ``timeout`` (seconds) bounds the whole round including waiting."""

    region_id: str
    force: bool = False
    batch_optimization: BatchOptimization = "AllTogether"
    api: RebootApi = "RebootInstances"
    dry_run: bool = False
    max_unavailable: int | None = None
    wait_for_running: bool = True
    timeout: float = 600.0
    #: parallel calls: RebootInstances chunks (after the first), the single-instance API, polling
    concurrency: int = 8
    #: status polling while waiting for Running: first interval and cap (seconds), growing x1.2
    poll_interval: float = 1.0
    poll_max_interval: float = 10.0
    #: probe each instance once Running again; a wave is done when all are healthy (or failed)
    health_check: HealthCheck | None = None
    #: once more instances than this have failed in the round, no further wave starts (None: no limit)
    max_failures: int | None = None
    #: soak time after each healthy wave before the next (seconds)
    pause_between_waves: float = 0.0
    #: probes of one wave open at most this many sockets at once
    probe_concurrency: int = 64


ProgressKind = Literal["wave_started", "rebooted", "waiting", "probing", "pausing", "wave_done", "plan", "dry_run",
                       "retry", "warning"]


@dataclass(frozen=True)
class ProgressEvent:
    """A step of a round, for terminals and the Pulumi engine log."""

    kind: ProgressKind
    message: str
    wave: int = 0
    waves: int = 0
    running: int = 0
    total: int = 0
    healthy: int = 0
    #: a status line that replaces the previous one (Pulumi "ephemeral" message)
    ephemeral: bool = False


@dataclass
class RoundResult:
    """The result of a round. ``failed_ids`` are the instances not rebooted (and Running again)."""

    outcomes: list[InstanceOutcome] = field(default_factory=list)
    request_ids: list[str] = field(default_factory=list)
    waves: int = 0
    #: instances whose reboot was accepted but that were not seen Running again in time
    not_back: list[str] = field(default_factory=list)
    timed_out: bool = False
    cancelled: bool = False
    #: a round-level error (AllTogether refused, credentials...) as text for the user
    error: str | None = None
    #: a dry run only checked (``outcomes`` carry the DryRun verdict codes, nothing was rebooted);
    #: then ``failed_ids`` are the instances whose check failed (warnings are not failures)
    dry_run: bool = False
    dry_run_failures: list[str] = field(default_factory=list)
    #: per probed instance: "healthy", or the last probe's outcome of a failed one
    health: dict[str, str] = field(default_factory=dict)
    #: the round stopped starting waves because of ``max_failures`` (or the unavailability budget)
    stopped_by_failures: bool = False

    @property
    def failed_ids(self) -> list[str]:
        if self.dry_run:
            return list(self.dry_run_failures)
        back = set(self.not_back)
        return [o.instance_id for o in self.outcomes if not o.ok or o.instance_id in back]

    @property
    def ok(self) -> bool:
        return not self.failed_ids and self.error is None
