// Package quickstart reboots a few ECS instances whenever their configuration text changes.
//
// `pulumi preview` shows `~ triggers.configHash` and checks the would-be reboot with the API's DryRun;
// `pulumi up` reboots the instances and waits until they are Running again. Unchanged config: nothing
// happens, not even an API call. An optional secret (`deployToken`) is a trigger too, and stays secret.
package quickstart

import (
	"crypto/sha256"
	"encoding/hex"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/config"

	"github.com/ecsreboot/ecsreboot/sdk/go/ecsreboot"
)

// Program is the Pulumi program: one RebootTrigger over the configured instances.
func Program(ctx *pulumi.Context) error {
	conf := config.New(ctx, "")
	var instanceIDs []string // e.g. ["i-bp67acfmxazb4p0001", ...]
	conf.RequireObject("instanceIds", &instanceIDs)
	// In a real project this is the file you ship to the instances, e.g. os.ReadFile("nginx.conf").
	sum := sha256.Sum256([]byte(conf.Require("configText")))
	triggers := pulumi.Map{"configHash": pulumi.String(hex.EncodeToString(sum[:]))}
	if _, err := conf.Try("deployToken"); err == nil { // `pulumi config set --secret deployToken ...`
		triggers["deployToken"] = conf.RequireSecret("deployToken")
	}

	web, err := ecsreboot.NewRebootTrigger(ctx, "web", &ecsreboot.RebootTriggerArgs{
		InstanceIds: pulumi.ToStringArray(instanceIDs),
		Triggers:    triggers,
	})
	if err != nil {
		return err
	}

	ctx.Export("rebootCount", web.RebootCount)
	ctx.Export("lastRebootTime", web.LastRebootTime)
	ctx.Export("failedInstanceIds", web.FailedInstanceIds)
	return nil
}
