"""A health-gated rolling reboot of an application fleet whenever the release changes.

- `max_unavailable`: at most this many instances reboot at once; the next wave starts only when the
  previous one is Running again *and answers its health URL*, so the fleet keeps serving.
- `health_check`: each rebooted instance is probed at `healthUrl` (its private IP filled in) until it
  answers 2xx/3xx twice in a row; six failures in a row fail it (`HealthCheckFailed`).
- `max_failures`: once more instances than this have failed, no further wave starts (`NotAttempted`);
  `pause_between_waves` soaks after each wave before the next.
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
# how long one wave may take (reboot + back to Running + healthy + the pause), in minutes
wave_minutes = config.get_int("waveMinutes") or 5
# the application's health endpoint on each instance; {privateIp} is filled from DescribeInstances
health_url = config.get("healthUrl") or "http://{privateIp}:8080/healthz"
initial_delay = config.get_float("healthInitialDelaySeconds")
interval = config.get_float("healthIntervalSeconds") or 5.0
max_failures = config.get_int("maxFailures")
pause_between_waves = config.get_float("pauseBetweenWaves") or 0.0

waves = math.ceil(len(instance_ids) / max_unavailable)
timeout = f"{waves * wave_minutes}m"

fleet = ecsreboot.RebootTrigger(
    "app-fleet",
    instance_ids=instance_ids,
    triggers={"release": release},
    batch_optimization=ecsreboot.BatchOptimization.SUCCESS_FIRST,
    max_unavailable=max_unavailable,
    health_check=ecsreboot.HealthCheckArgs(
        url=health_url,
        interval_seconds=interval,
        timeout_seconds=3,
        healthy_threshold=2,
        unhealthy_threshold=6,
        initial_delay_seconds=5 if initial_delay is None else initial_delay,
    ),
    max_failures=1 if max_failures is None else max_failures,
    pause_between_waves=pause_between_waves,
    opts=pulumi.ResourceOptions(custom_timeouts=pulumi.CustomTimeouts(create=timeout, update=timeout)),
)

pulumi.export("waves", waves)
pulumi.export("rebootCount", fleet.reboot_count)
pulumi.export("failedInstanceIds", fleet.failed_instance_ids)
pulumi.export("requestIds", fleet.request_ids)
