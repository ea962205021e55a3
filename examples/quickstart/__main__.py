"""Reboot a few ECS instances whenever their configuration text changes.

`pulumi preview` shows `~ triggers.configHash` and checks the would-be reboot with the API's DryRun;
`pulumi up` reboots the instances and waits until they are Running again. Unchanged config: nothing
happens, not even an API call.
"""

import hashlib

import pulumi
import pulumi_ecsreboot as ecsreboot

config = pulumi.Config()
instance_ids = config.require_object("instanceIds")  # e.g. ["i-bp67acfmxazb4p0001", ...]
# In a real project this is the file you ship to the instances, e.g. open("nginx.conf").read().
config_text = config.require("configText")

web = ecsreboot.RebootTrigger(
    "web",
    instance_ids=instance_ids,
    triggers={"configHash": hashlib.sha256(config_text.encode()).hexdigest()},
)

pulumi.export("rebootCount", web.reboot_count)
pulumi.export("lastRebootTime", web.last_reboot_time)
pulumi.export("failedInstanceIds", web.failed_instance_ids)
