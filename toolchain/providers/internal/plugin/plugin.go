// Package plugin holds the wiring the three plugins share: outputs that must
// always be secret, provider configuration that never replaces resources, and
// the process entry point.
package plugin

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"slices"

	p "github.com/pulumi/pulumi-go-provider"
	pprovider "github.com/pulumi/pulumi/pkg/v3/resource/provider"
	"github.com/pulumi/pulumi/sdk/v3/go/property"
	rpc "github.com/pulumi/pulumi/sdk/v3/proto/go"

	"interhub/toolchain/enginewatch"
)

// SecretOutputs marks the named top-level output properties of each resource
// type secret in every Create, Read and Update response. The framework only
// marks outputs secret through dependency wiring, which Read (refresh and
// import) does not run; the official plugins mark these fields in every
// response, so state never holds them in plain text.
func SecretOutputs(prov p.Provider, secrets map[string][]string) p.Provider {
	mark := func(urnType string, m property.Map) property.Map {
		for _, k := range secrets[urnType] {
			if v, ok := m.GetOk(k); ok && !v.IsNull() {
				m = m.Set(k, v.WithSecret(true))
			}
		}
		return m
	}
	create, read, update := prov.Create, prov.Read, prov.Update
	prov.Create = func(ctx context.Context, req p.CreateRequest) (p.CreateResponse, error) {
		resp, err := create(ctx, req)
		resp.Properties = mark(string(req.Urn.Type()), resp.Properties)
		return resp, err
	}
	prov.Read = func(ctx context.Context, req p.ReadRequest) (p.ReadResponse, error) {
		resp, err := read(ctx, req)
		resp.Properties = mark(string(req.Urn.Type()), resp.Properties)
		return resp, err
	}
	prov.Update = func(ctx context.Context, req p.UpdateRequest) (p.UpdateResponse, error) {
		resp, err := update(ctx, req)
		resp.Properties = mark(string(req.Urn.Type()), resp.Properties)
		return resp, err
	}
	return prov
}

// ConfigUpdatesInPlace turns every replacement the provider's DiffConfig asks
// for into an update. The framework replaces a provider on any configuration
// change, and the engine then replaces every resource of that provider: a
// rotated admin password must never recreate a database.
func ConfigUpdatesInPlace(prov p.Provider) p.Provider {
	diff := prov.DiffConfig
	if diff == nil {
		return prov
	}
	prov.DiffConfig = func(ctx context.Context, req p.DiffRequest) (p.DiffResponse, error) {
		resp, err := diff(ctx, req)
		if err != nil {
			return resp, err
		}
		resp.DeleteBeforeReplace = false
		for k, d := range resp.DetailedDiff {
			switch d.Kind {
			case p.AddReplace:
				d.Kind = p.Add
			case p.DeleteReplace:
				d.Kind = p.Delete
			case p.UpdateReplace:
				d.Kind = p.Update
			}
			resp.DetailedDiff[k] = d
		}
		return resp, nil
	}
	return prov
}

// Run serves prov as the plugin name at version, which the build sets with
// -X main.version; a binary built without it refuses to start, because the
// engine matches plugins by version. wrap, if any, wraps the gRPC server.
func Run(name, version string, prov p.Provider, wrap ...func(rpc.ResourceProviderServer) rpc.ResourceProviderServer) {
	if version == "" {
		fmt.Fprintf(os.Stderr, "pulumi-resource-%s: built without a version (-ldflags \"-X main.version=...\")\n", name)
		os.Exit(1)
	}
	// A plugin whose `pulumi` was killed must not run forever.
	ctx, cancel, err := enginewatch.Context(context.Background(), enginewatch.Address(os.Args[1:]), enginewatch.Interval)
	if err != nil {
		fmt.Fprintf(os.Stderr, "engine health check: %v\n", err)
	}
	defer cancel()
	engineCtx = ctx
	// As p.RunProvider, with the server wrapped.
	err = pprovider.MainContext(ctx, name, func(host *pprovider.HostClient) (rpc.ResourceProviderServer, error) {
		srv, err := p.RawServer(name, version, prov)(host)
		if err != nil {
			return nil, err
		}
		for _, w := range wrap {
			srv = w(srv)
		}
		return srv, nil
	})
	if err != nil {
		fmt.Fprintf(os.Stderr, "pulumi-resource-%s: %v\n", name, err)
		os.Exit(1)
	}
}

// engineCtx is Run's engineWatch context.
var engineCtx = context.Background()

// EngineContext is cancelled once the engine that started this plugin stops answering: a
// request still running then has nobody to report to. A request's own context is no such sign:
// the engine cancels it on Ctrl-C too, and the official command plugin lets a command run to its
// end then.
func EngineContext() context.Context { return engineCtx }

// DeleteBeforeReplaceWhenNamed makes a replacement of the given resource types
// delete the old object first when its "name" input is set and unchanged, as
// the official bridged plugins do: the new object would otherwise collide with
// the old one of the same name.
func DeleteBeforeReplaceWhenNamed(prov p.Provider, types ...string) p.Provider {
	diff := prov.Diff
	prov.Diff = func(ctx context.Context, req p.DiffRequest) (p.DiffResponse, error) {
		resp, err := diff(ctx, req)
		if err != nil || !slices.Contains(types, string(req.Urn.Type())) {
			return resp, err
		}
		replacing := false
		for _, d := range resp.DetailedDiff {
			switch d.Kind {
			case p.AddReplace, p.DeleteReplace, p.UpdateReplace:
				replacing = true
			}
		}
		oldName, newName := req.OldInputs.Get("name"), req.Inputs.Get("name")
		if replacing && newName.IsString() && oldName.IsString() && oldName.AsString() == newName.AsString() {
			resp.DeleteBeforeReplace = true
		}
		return resp, nil
	}
	return prov
}

// ModuleFormat sets the schema's meta.moduleFormat, which says how to read a
// module out of a token. The official bridged plugins use "(.*)(?:/[^/]*)",
// so "random:index/randomId:RandomId" is in module "index"; without it the
// schema does not bind (for `pulumi package get-schema` and code generation).
func ModuleFormat(prov p.Provider, format string) p.Provider {
	get := prov.GetSchema
	if get == nil {
		return prov
	}
	prov.GetSchema = func(ctx context.Context, req p.GetSchemaRequest) (p.GetSchemaResponse, error) {
		resp, err := get(ctx, req)
		if err != nil {
			return resp, err
		}
		var spec map[string]any
		if err := json.Unmarshal([]byte(resp.Schema), &spec); err != nil {
			return resp, fmt.Errorf("reading the generated schema: %w", err)
		}
		meta, _ := spec["meta"].(map[string]any)
		if meta == nil {
			meta = map[string]any{}
		}
		meta["moduleFormat"] = format
		spec["meta"] = meta
		b, err := json.Marshal(spec)
		if err != nil {
			return resp, err
		}
		resp.Schema = string(b)
		return resp, nil
	}
	return prov
}
