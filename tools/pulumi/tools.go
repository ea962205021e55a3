//go:build tools

// Package tools pins the Pulumi CLI that `make pulumi` builds (tools/build.sh) for the end-to-end tier.
package tools

import (
	_ "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi"
)
