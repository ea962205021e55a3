"""`count` RebootTriggers over the ids of config `instanceIds` (round robin, one id each, no reboot on create);
or, with config `fleet: true`, one RebootTrigger over all of them. A fleet too large for one command-line
argument gives its ids in a JSON file named by config `idsFile` instead."""

import json

import pulumi
import pulumi_ecsreboot as ecsreboot

config = pulumi.Config()
ids_file = config.get("idsFile")
if ids_file:
    with open(ids_file) as f:
        ids = json.load(f)
else:
    ids = config.require_object("instanceIds")
if config.get_bool("fleet"):
    ecsreboot.RebootTrigger("fleet", instance_ids=ids, triggers={"run": 1})
else:
    for n in range(config.require_int("count")):
        ecsreboot.RebootTrigger(f"t{n}", instance_ids=[ids[n % len(ids)]], reboot_on_create=False,
                                triggers={"configHash": f"h{n}"})
