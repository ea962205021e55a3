// Command gensdk writes ecsreboot's SDKs from schema.json with Pulumi's own code generators, pinned by
// tools/pulumi/go.mod to the same version as the CLI that `make pulumi` builds.
//
// `pulumi package gen-sdk <schema> --language L` hands the schema to the language host of L, whose
// GeneratePackage binds it (codegen/schema) and calls codegen/<L>.GeneratePackage under the tool name
// "pulumi-language-<L>". The Go module proxy does not serve those hosts, so this program makes the same
// calls, with the same arguments as gen-sdk without --local (no overlays, no local dependencies): its
// output is what gen-sdk writes.
//
// Usage: gensdk <schema.json> <out dir> <language>...   (languages: python, nodejs, go)
//
// Each <out dir>/<language> is emptied of earlier generated files first. Files the generators never
// write are kept: the lock files the build pins (package-lock.json, go.sum) and build or install
// output (node_modules, bin, *.egg-info, build, __pycache__).
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"

	"github.com/blang/semver"
	gogen "github.com/pulumi/pulumi/pkg/v3/codegen/go"
	"github.com/pulumi/pulumi/pkg/v3/codegen/nodejs"
	"github.com/pulumi/pulumi/pkg/v3/codegen/python"
	"github.com/pulumi/pulumi/pkg/v3/codegen/schema"
)

// kept names files and folders in an SDK folder that no generator writes.
var kept = map[string]bool{
	"package-lock.json": true, "go.sum": true, "node_modules": true, "bin": true, "build": true,
	"__pycache__": true,
}

// noDependencies is the reference loader: ecsreboot's schema references no other package.
type noDependencies struct{}

var errNoDependencies = errors.New("ecsreboot's schema references no other Pulumi package")

func (noDependencies) LoadPackage(string, *semver.Version) (*schema.Package, error) {
	return nil, errNoDependencies
}

func (noDependencies) LoadPackageV2(context.Context, *schema.PackageDescriptor) (*schema.Package, error) {
	return nil, errNoDependencies
}

func (noDependencies) LoadPackageReference(string, *semver.Version) (schema.PackageReference, error) {
	return nil, errNoDependencies
}

func (noDependencies) LoadPackageReferenceV2(
	context.Context, *schema.PackageDescriptor,
) (schema.PackageReference, error) {
	return nil, errNoDependencies
}

// bind reads and binds the schema afresh: the generators record their language info in the package.
func bind(path string) (*schema.Package, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var spec schema.PackageSpec
	if err := json.Unmarshal(data, &spec); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	pkg, diags, err := schema.BindSpec(spec, noDependencies{}, schema.ValidationOptions{AllowDanglingReferences: true})
	if err != nil {
		return nil, err
	}
	if diags.HasErrors() {
		return nil, fmt.Errorf("%s: %w", path, diags)
	}
	return pkg, nil
}

func generate(language string, pkg *schema.Package) (map[string][]byte, error) {
	switch language {
	case "python":
		return python.GeneratePackage("pulumi-language-python", pkg, nil, noDependencies{})
	case "nodejs":
		return nodejs.GeneratePackage("pulumi-language-nodejs", pkg, nil, nil, false, noDependencies{})
	case "go":
		return gogen.GeneratePackage("pulumi-language-go", pkg, nil)
	default:
		return nil, fmt.Errorf("unknown language %q (python, nodejs or go)", language)
	}
}

// clean removes what an earlier run generated in dir, keeping the files no generator writes.
func clean(dir string) error {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	} else if err != nil {
		return err
	}
	for _, e := range entries {
		name := e.Name()
		if kept[name] || filepath.Ext(name) == ".egg-info" {
			continue
		}
		if e.IsDir() {
			if err := clean(filepath.Join(dir, name)); err != nil {
				return err
			}
			if rest, err := os.ReadDir(filepath.Join(dir, name)); err == nil && len(rest) == 0 {
				if err := os.Remove(filepath.Join(dir, name)); err != nil {
					return err
				}
			}
			continue
		}
		if err := os.Remove(filepath.Join(dir, name)); err != nil {
			return err
		}
	}
	return nil
}

func write(dir string, files map[string][]byte) error {
	names := make([]string, 0, len(files))
	for name := range files {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		path := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(path, files[name], 0o644); err != nil {
			return err
		}
	}
	return nil
}

func run(args []string) error {
	if len(args) < 3 {
		return errors.New("usage: gensdk <schema.json> <out dir> <language>... (python, nodejs, go)")
	}
	schemaPath, out := args[0], args[1]
	for _, language := range args[2:] {
		pkg, err := bind(schemaPath)
		if err != nil {
			return err
		}
		files, err := generate(language, pkg)
		if err != nil {
			return fmt.Errorf("%s: %w", language, err)
		}
		dir := filepath.Join(out, language)
		if err := clean(dir); err != nil {
			return err
		}
		if err := write(dir, files); err != nil {
			return err
		}
		fmt.Printf("gensdk: %s: %d files in %s\n", language, len(files), dir)
	}
	return nil
}

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "gensdk:", err)
		os.Exit(1)
	}
}
