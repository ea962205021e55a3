//go:build tools

// Package tools pins Pulumi's YAML language host, which the end-to-end tier runs YAML programs (and
// `pulumi import`, which needs a language host) with. pulumi-yaml v1.25.0 does not compile against
// pkg/v3 v3.274.1 (tools/pulumi), so it keeps the pkg/v3 its own go.mod selects; the host speaks the
// language-host gRPC protocol to any newer CLI.
package tools

import (
	_ "github.com/pulumi/pulumi-yaml/cmd/pulumi-language-yaml"
)
