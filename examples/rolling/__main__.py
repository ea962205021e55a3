"""A rolling reboot of an application fleet whenever the release changes.

- `max_unavailable`: at most this many instances reboot at once; the next wave starts only when the
  previous one is Running again, so the fleet keeps serving.
- `SuccessFirst`: one bad instance does not block the others. Instances that fail are recorded in
  `failedInstanceIds`, the step fails, and the next `pulumi up` retries only those.
- `customTimeouts`: bound the whole round (every wave, including waiting for Running), sized from
  the number of waves.
"""

import math

import pulumi
import pulumi_ecsreboot as ecsreboot

config = pulumi.Config()
instance_ids = config.require_object("instanceIds")
release = config.require("release")
# default: a quarter of the fleet at a time
max_unavailable = config.get_int("maxUnavailable") or max(1, len(instance_ids) // 4)
# how long one wave may take (reboot + back to Running), in minutes
wave_minutes = config.get_int("waveMinutes") or 5

waves = math.ceil(len(instance_ids) / max_unavailable)
timeout = f"{waves * wave_minutes}m"

fleet = ecsreboot.RebootTrigger(
    "app-fleet",
    instance_ids=instance_ids,
    triggers={"release": release},
    batch_optimization=ecsreboot.BatchOptimization.SUCCESS_FIRST,
    max_unavailable=max_unavailable,
    opts=pulumi.ResourceOptions(custom_timeouts=pulumi.CustomTimeouts(create=timeout, update=timeout)),
)

pulumi.export("waves", waves)
pulumi.export("rebootCount", fleet.reboot_count)
pulumi.export("failedInstanceIds", fleet.failed_instance_ids)
pulumi.export("requestIds", fleet.request_ids)
