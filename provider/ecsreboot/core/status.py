"""Instance statuses, spelled as the ECS API spells them."""

from __future__ import annotations

from enum import StrEnum


class InstanceStatus(StrEnum):
    """The `Status` values of DescribeInstanceStatus / DescribeInstances."""

    PENDING = "Pending"
    RUNNING = "Running"
    STARTING = "Starting"
    STOPPING = "Stopping"
    STOPPED = "Stopped"


#: What a reboot walks through: Running -> Stopping -> Starting -> Running.
REBOOT_SEQUENCE: tuple[InstanceStatus, ...] = (
    InstanceStatus.STOPPING,
    InstanceStatus.STARTING,
    InstanceStatus.RUNNING,
)

#: States that prove a reboot has begun (the instance has left the old Running).
TRANSITIONAL: frozenset[str] = frozenset({InstanceStatus.STOPPING.value, InstanceStatus.STARTING.value})
