"""`ecsreboot.dynamic.RebootTrigger` over the stack's `instanceIds`, rebooted when config `configText` changes."""

import hashlib

import pulumi

from ecsreboot.dynamic import RebootTrigger

config = pulumi.Config()
web = RebootTrigger(
    "web",
    instance_ids=config.require_object("instanceIds"),
    triggers={"configHash": hashlib.sha256(config.require("configText").encode()).hexdigest()},
)
pulumi.export("rebootCount", web.reboot_count)
