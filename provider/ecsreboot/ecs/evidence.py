"""Evidence that a reboot happened, from what DescribeInstances reports: ``Status`` and ``StartTime``.

``StartTime`` is "the time when the instance was last started", UTC, documented as
``yyyy-MM-ddTHH:mmZ`` (the SDK models also say ``yyyy-MM-ddTHH:mm:ssZ``): a reboot moves it, but it
may be only minute-precise. So it is compared only with a value the same API reported earlier (the
``Baseline`` a round records before sending a wave), never with the local clock, and:

* ``started_since(before, now)``: ``now`` reports a later start than ``before`` -- the instance was
  started after the baseline look. Positive evidence, whatever the precision.
* ``start_time_decisive(before, taken_at, skew)``: a start after ``taken_at`` would *necessarily*
  show a later ``StartTime`` -- true when the recorded start is older than ``taken_at`` by more than
  the precision plus ``skew`` (the local clock's allowed error). Only then does an unchanged
  ``StartTime`` prove that no reboot ran. A fleet started days ago is decisive; an instance started
  within the last couple of minutes is not (and then only a status in transition can tell).
"""

from __future__ import annotations

import datetime as _dt
import functools
from collections.abc import Mapping
from dataclasses import dataclass, field

from ..core.status import TRANSITIONAL, InstanceStatus

RUNNING = InstanceStatus.RUNNING.value

#: "never": a baseline without a time proves nothing by StartTime
_NEVER = _dt.datetime.min.replace(tzinfo=_dt.UTC)

_FORMATS: tuple[tuple[str, _dt.timedelta], ...] = (
    ("%Y-%m-%dT%H:%MZ", _dt.timedelta(minutes=1)),
    ("%Y-%m-%dT%H:%M:%SZ", _dt.timedelta(seconds=1)),
)


@dataclass(frozen=True, slots=True)
class InstanceState:
    """One instance as a DescribeInstances record shows it. ``start_time`` is the raw text ("" if absent);
    the addresses fill a health check's URL template ("" when the record has none)."""

    status: str
    start_time: str = ""
    private_ip: str = ""
    public_ip: str = ""

    def placeholders(self, instance_id: str) -> dict[str, str]:
        """The values of a health check URL's placeholders (core/health.py)."""
        return {"instanceId": instance_id, "privateIp": self.private_ip, "publicIp": self.public_ip}

    @property
    def transitional(self) -> bool:
        return self.status in TRANSITIONAL


@functools.lru_cache(maxsize=4096)
def parse_start_time(text: str) -> tuple[_dt.datetime, _dt.timedelta] | None:
    """(moment, precision) of a ``StartTime`` value, or None when it is absent or unreadable. Cached: a
    round reads the StartTime of every instance at least twice, and a fleet's share a few minutes."""
    value = text.strip()
    for fmt, precision in _FORMATS:
        try:
            moment = _dt.datetime.strptime(value, fmt).replace(tzinfo=_dt.UTC)
        except ValueError:
            continue
        return moment, precision
    return None


def started_since(before: InstanceState | None, now: InstanceState | None) -> bool:
    """Whether ``now`` reports a later start than ``before`` (both must carry a readable StartTime)."""
    if before is None or now is None:
        return False
    old, new = parse_start_time(before.start_time), parse_start_time(now.start_time)
    return old is not None and new is not None and new[0] > old[0]


def start_time_decisive(before: InstanceState | None, taken_at: _dt.datetime, skew: float) -> bool:
    """Whether any start after ``taken_at`` (local wall clock, off by at most ``skew`` seconds) must
    show a later StartTime than ``before`` does."""
    if before is None:
        return False
    parsed = parse_start_time(before.start_time)
    if parsed is None:
        return False
    moment, precision = parsed
    return moment + precision + _dt.timedelta(seconds=skew) <= taken_at


@dataclass(frozen=True)
class Baseline:
    """The instances as seen right before a reboot was sent, and when (local wall clock, UTC).

    An instance missing from ``states`` was not listed (unknown id, or the look failed): nothing
    can be proved about it from StartTime.
    """

    states: Mapping[str, InstanceState] = field(default_factory=dict)
    taken_at: _dt.datetime = _NEVER

    def get(self, instance_id: str) -> InstanceState | None:
        return self.states.get(instance_id)

    def decisive(self, instance_id: str, skew: float) -> bool:
        return start_time_decisive(self.states.get(instance_id), self.taken_at, skew)


def rebooted_evidence(baseline: Baseline, instance_id: str, now: InstanceState | None) -> str | None:
    """Why ``now`` proves the instance was rebooted since the baseline, or None.

    A transitional status counts when the baseline saw the instance Running (or did not see it: a
    reboot call is what puts an instance into Stopping/Starting); a moved StartTime always counts.
    """
    if now is None:
        return None
    before = baseline.get(instance_id)
    if started_since(before, now):
        return f"its StartTime moved from {before.start_time if before else '?'} to {now.start_time}"
    if now.transitional and (before is None or before.status == RUNNING):
        return f"it was then seen {now.status}"
    return None
