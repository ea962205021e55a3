// Command automation runs this project's program (package quickstart) for one Pulumi operation as a Go
// Automation API inline program: the `pulumi` CLI on PATH connects back to this process, so no Go language
// host is needed. The end-to-end tests drive it this way.
//
//	automation <work dir> <stack> preview|up|destroy
//
// <work dir> holds Pulumi.yaml and the stack's settings. Prints one JSON line: the summary and the output.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optpreview"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optup"
	"github.com/pulumi/pulumi/sdk/v3/go/common/workspace"

	"github.com/ecsreboot/ecsreboot/examples/quickstart-go/quickstart"
)

type report struct {
	Result          string         `json:"result,omitempty"`
	ResourceChanges map[string]int `json:"resourceChanges,omitempty"`
	ChangeSummary   map[string]int `json:"changeSummary,omitempty"`
	Stdout          string         `json:"stdout"`
	Stderr          string         `json:"stderr"`
}

func run(ctx context.Context, workDir, stackName, op string) (*report, error) {
	project, err := workspace.LoadProject(workDir + "/Pulumi.yaml")
	if err != nil {
		return nil, err
	}
	stack, err := auto.SelectStackInlineSource(ctx, stackName, project.Name.String(), quickstart.Program,
		auto.WorkDir(workDir))
	if err != nil {
		return nil, err
	}
	switch op {
	case "preview":
		res, err := stack.Preview(ctx, optpreview.Diff())
		if err != nil {
			return nil, err
		}
		changes := map[string]int{}
		for kind, n := range res.ChangeSummary {
			changes[string(kind)] = n
		}
		return &report{ChangeSummary: changes, Stdout: res.StdOut, Stderr: res.StdErr}, nil
	case "up":
		res, err := stack.Up(ctx, optup.Diff())
		if err != nil {
			return nil, err
		}
		changes := map[string]int{}
		if res.Summary.ResourceChanges != nil {
			changes = *res.Summary.ResourceChanges
		}
		return &report{Result: res.Summary.Result, ResourceChanges: changes, Stdout: res.StdOut, Stderr: res.StdErr}, nil
	case "destroy":
		res, err := stack.Destroy(ctx)
		if err != nil {
			return nil, err
		}
		return &report{Result: res.Summary.Result, Stdout: res.StdOut, Stderr: res.StdErr}, nil
	}
	return nil, fmt.Errorf("unknown operation %q (preview, up or destroy)", op)
}

func main() {
	if len(os.Args) != 4 {
		fmt.Fprintln(os.Stderr, "usage: automation <work dir> <stack> preview|up|destroy")
		os.Exit(2)
	}
	out, err := run(context.Background(), os.Args[1], os.Args[2], os.Args[3])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if err := json.NewEncoder(os.Stdout).Encode(out); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
