"""`count` pulumi.dynamic resources with a trivial provider: the baseline of an unchanged preview.

With config `shaped: true`, each resource is shaped like a RebootTrigger instead: the same 14 inputs the
generated SDK sends (its defaults filled in alike) and the same 6 outputs declared, over config
`instanceIds` as the `triggers` program does -- the same provider work (none), the same properties for the
SDK and the engine to carry."""

import pulumi
from pulumi.dynamic import Resource
from trivial import Trivial

OUTPUTS = ("failedInstanceIds", "lastRebootTime", "rebootCount", "requestIds", "results", "selectedInstanceIds")


class Thing(Resource):
    def __init__(self, name, config_hash):
        super().__init__(Trivial(), name, {"configHash": config_hash})


class Shaped(Resource):
    def __init__(self, name, instance_id, config_hash):
        props = {
            "instanceIds": [instance_id], "rebootOnCreate": False, "triggers": {"configHash": config_hash},
            "batchOptimization": "AllTogether", "dryRun": False, "forceReboot": False, "healthCheck": None,
            "instanceSelector": None, "maxFailures": None, "maxUnavailable": None, "pauseBetweenWaves": None,
            "rebootApi": "RebootInstances", "regionId": None, "waitForRunning": True,
            **{key: None for key in OUTPUTS},
        }
        super().__init__(Trivial(), name, props)


config = pulumi.Config()
if config.get_bool("shaped"):
    ids = config.require_object("instanceIds")
    for n in range(config.require_int("count")):
        Shaped(f"t{n}", ids[n % len(ids)], f"h{n}")
else:
    for n in range(config.require_int("count")):
        Thing(f"t{n}", f"h{n}")
