// Command quickstart-go is the Pulumi program of this project (`runtime: go`): `pulumi up` builds and runs it.
// The program itself is in package quickstart, so other code (automation/, tests) can run it too.
package main

import (
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/ecsreboot/ecsreboot/examples/quickstart-go/quickstart"
)

func main() {
	pulumi.Run(quickstart.Program)
}
