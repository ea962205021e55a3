// Reboot a few ECS instances whenever their configuration text changes.
//
// `pulumi preview` shows `~ triggers.configHash` and checks the would-be reboot with the API's DryRun;
// `pulumi up` reboots the instances and waits until they are Running again. Unchanged config: nothing
// happens, not even an API call. An optional secret (`deployToken`) is a trigger too, and stays secret.
import * as crypto from "crypto";

import * as ecsreboot from "@ecsreboot/pulumi";
import * as pulumi from "@pulumi/pulumi";

const config = new pulumi.Config();
const instanceIds = config.requireObject<string[]>("instanceIds"); // e.g. ["i-bp67acfmxazb4p0001", ...]
// In a real project this is the file you ship to the instances, e.g. fs.readFileSync("nginx.conf", "utf8").
const configText = config.require("configText");
const deployToken = config.getSecret("deployToken"); // `pulumi config set --secret deployToken ...`

const web = new ecsreboot.RebootTrigger("web", {
    instanceIds,
    triggers: {
        configHash: crypto.createHash("sha256").update(configText).digest("hex"),
        ...(deployToken ? { deployToken } : {}),
    },
});

export const rebootCount = web.rebootCount;
export const lastRebootTime = web.lastRebootTime;
export const failedInstanceIds = web.failedInstanceIds;
