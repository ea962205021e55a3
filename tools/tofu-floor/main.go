// terraform-provider-floor: a provider that does nothing, with the schema it is given (the JSON file named by
// $ECSREBOOT_FLOOR_SCHEMA, which the benchmark writes from ecsreboot_reboot_trigger's schema). Under `tofu plan` it
// costs what any plugin provider with that schema costs the CLI: the process start-ups, the four calls per resource
// through go-plugin's gRPC and mutual TLS, the CLI's own work with the schema's attributes. tests/bench/opentofu.py
// measures it beside ours and terraform_data. Built with terraform-plugin-go (MPL-2.0), HashiCorp's own
// lowest-level provider library, into .tools/bin; a benchmark tool, never shipped.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"

	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6/tf6server"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

// attribute and block are the schema file's shapes: {"type_name", "resource": block, "provider": block}.
type attribute struct {
	Name                                    string
	Type                                    json.RawMessage
	Required, Optional, Computed, Sensitive bool
}

type block struct {
	Attributes []attribute
	Blocks     []struct {
		Name  string
		Block block
	}
}

func (b block) schema() (*tfprotov6.SchemaBlock, tftypes.Object, error) {
	out := &tfprotov6.SchemaBlock{}
	types := map[string]tftypes.Type{}
	for _, a := range b.Attributes {
		t, err := tftypes.ParseJSONType(a.Type) //nolint:staticcheck // the schema file holds cty's JSON types
		if err != nil {
			return nil, tftypes.Object{}, fmt.Errorf("attribute %s: %w", a.Name, err)
		}
		types[a.Name] = t
		out.Attributes = append(out.Attributes, &tfprotov6.SchemaAttribute{Name: a.Name, Type: t,
			Required: a.Required, Optional: a.Optional, Computed: a.Computed, Sensitive: a.Sensitive})
	}
	for _, n := range b.Blocks {
		s, t, err := n.Block.schema()
		if err != nil {
			return nil, tftypes.Object{}, err
		}
		types[n.Name] = t
		out.BlockTypes = append(out.BlockTypes, &tfprotov6.SchemaNestedBlock{TypeName: n.Name, Block: s,
			Nesting: tfprotov6.SchemaNestedBlockNestingModeSingle})
	}
	return out, tftypes.Object{AttributeTypes: types}, nil
}

// server answers every call the CLI makes for a plan or an apply at once, with no work beyond the protocol's.
type server struct {
	tfprotov6.ProviderServer // nil: the calls not defined below are never made for a managed resource
	typeName                 string
	resource, provider       *tfprotov6.SchemaBlock
	state                    tftypes.Object
}

func (s *server) GetMetadata(context.Context, *tfprotov6.GetMetadataRequest) (*tfprotov6.GetMetadataResponse, error) {
	return &tfprotov6.GetMetadataResponse{Resources: []tfprotov6.ResourceMetadata{{TypeName: s.typeName}}}, nil
}

func (s *server) GetProviderSchema(context.Context, *tfprotov6.GetProviderSchemaRequest) (*tfprotov6.GetProviderSchemaResponse, error) {
	return &tfprotov6.GetProviderSchemaResponse{
		Provider:           &tfprotov6.Schema{Block: s.provider},
		ResourceSchemas:    map[string]*tfprotov6.Schema{s.typeName: {Block: s.resource}},
		ServerCapabilities: &tfprotov6.ServerCapabilities{GetProviderSchemaOptional: true},
	}, nil
}

func (s *server) GetResourceIdentitySchemas(context.Context, *tfprotov6.GetResourceIdentitySchemasRequest) (*tfprotov6.GetResourceIdentitySchemasResponse, error) {
	return &tfprotov6.GetResourceIdentitySchemasResponse{}, nil
}

func (s *server) ValidateProviderConfig(_ context.Context, r *tfprotov6.ValidateProviderConfigRequest) (*tfprotov6.ValidateProviderConfigResponse, error) {
	return &tfprotov6.ValidateProviderConfigResponse{PreparedConfig: r.Config}, nil
}

func (s *server) ConfigureProvider(context.Context, *tfprotov6.ConfigureProviderRequest) (*tfprotov6.ConfigureProviderResponse, error) {
	return &tfprotov6.ConfigureProviderResponse{}, nil
}

func (s *server) StopProvider(context.Context, *tfprotov6.StopProviderRequest) (*tfprotov6.StopProviderResponse, error) {
	return &tfprotov6.StopProviderResponse{}, nil
}

func (s *server) ValidateResourceConfig(context.Context, *tfprotov6.ValidateResourceConfigRequest) (*tfprotov6.ValidateResourceConfigResponse, error) {
	return &tfprotov6.ValidateResourceConfigResponse{}, nil
}

func (s *server) UpgradeResourceState(_ context.Context, r *tfprotov6.UpgradeResourceStateRequest) (*tfprotov6.UpgradeResourceStateResponse, error) {
	value, err := r.RawState.UnmarshalWithOpts(s.state, tfprotov6.UnmarshalOpts{
		ValueFromJSONOpts: tftypes.ValueFromJSONOpts{IgnoreUndefinedAttributes: true}})
	if err != nil {
		return nil, err
	}
	upgraded, err := tfprotov6.NewDynamicValue(s.state, value)
	if err != nil {
		return nil, err
	}
	return &tfprotov6.UpgradeResourceStateResponse{UpgradedState: &upgraded}, nil
}

func (s *server) ReadResource(_ context.Context, r *tfprotov6.ReadResourceRequest) (*tfprotov6.ReadResourceResponse, error) {
	return &tfprotov6.ReadResourceResponse{NewState: r.CurrentState, Private: r.Private}, nil
}

func (s *server) PlanResourceChange(_ context.Context, r *tfprotov6.PlanResourceChangeRequest) (*tfprotov6.PlanResourceChangeResponse, error) {
	return &tfprotov6.PlanResourceChangeResponse{PlannedState: r.ProposedNewState, PlannedPrivate: r.PriorPrivate}, nil
}

// ApplyResourceChange makes what the plan left unknown null, and the id "floor".
func (s *server) ApplyResourceChange(_ context.Context, r *tfprotov6.ApplyResourceChangeRequest) (*tfprotov6.ApplyResourceChangeResponse, error) {
	planned, err := r.PlannedState.Unmarshal(s.state)
	if err != nil {
		return nil, err
	}
	if planned.IsNull() { // destroy
		return &tfprotov6.ApplyResourceChangeResponse{NewState: r.PlannedState}, nil
	}
	known, err := tftypes.Transform(planned, func(path *tftypes.AttributePath, v tftypes.Value) (tftypes.Value, error) {
		if v.IsKnown() {
			return v, nil
		}
		if path.Equal(tftypes.NewAttributePath().WithAttributeName("id")) {
			return tftypes.NewValue(tftypes.String, "floor"), nil
		}
		return tftypes.NewValue(v.Type(), nil), nil
	})
	if err != nil {
		return nil, err
	}
	state, err := tfprotov6.NewDynamicValue(s.state, known)
	if err != nil {
		return nil, err
	}
	return &tfprotov6.ApplyResourceChangeResponse{NewState: &state}, nil
}

func main() {
	data, err := os.ReadFile(os.Getenv("ECSREBOOT_FLOOR_SCHEMA"))
	if err != nil {
		fmt.Fprintln(os.Stderr, "terraform-provider-floor: $ECSREBOOT_FLOOR_SCHEMA names no readable schema file:", err)
		os.Exit(1)
	}
	var file struct {
		TypeName           string `json:"type_name"`
		Resource, Provider block
	}
	if err := json.Unmarshal(data, &file); err != nil {
		fmt.Fprintln(os.Stderr, "terraform-provider-floor: the schema file is not the benchmark's JSON:", err)
		os.Exit(1)
	}
	resource, state, err := file.Resource.schema()
	if err == nil {
		var provider *tfprotov6.SchemaBlock
		provider, _, err = file.Provider.schema()
		s := &server{typeName: file.TypeName, resource: resource, provider: provider, state: state}
		if err == nil {
			err = tf6server.Serve("registry.opentofu.org/ecsreboot-bench/floor",
				func() tfprotov6.ProviderServer { return s })
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "terraform-provider-floor:", err)
		os.Exit(1)
	}
}
