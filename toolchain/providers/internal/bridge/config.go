package bridge

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"

	p "github.com/pulumi/pulumi-go-provider"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/property"
	rpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

// FrameworkVersionKey is the key pulumi-go-provider's gRPC layer adds to
// every checked provider configuration (provider.go, CheckConfig).
const FrameworkVersionKey = "__pulumi-go-provider-version"

// Config gives a provider's configuration the bridge's shape. CheckConfig
// returns the configuration as the engine sent it, values other than
// strings JSON-encoded and no defaults added, as the bridge's CheckConfig
// and ConfigEncoding do (pulumi-terraform-bridge v3.134.0
// pkg/tfbridge/provider.go CheckConfig, pkg/tfbridge/config_encoding.go);
// pulumi-go-provider's would add every default, type the values and mark
// the state as its own. DiffConfig compares old and new configuration by
// value: encoded or typed, a default set or left out, and the framework's
// markers are no change, so a stack moves between the plugins without a
// provider update.
func Config(prov p.Provider, s Schema) p.Provider {
	check, diff, configure := prov.CheckConfig, prov.DiffConfig, prov.Configure
	if configure != nil {
		// The framework decodes typed values only: read the encoded ones.
		prov.Configure = func(ctx context.Context, req p.ConfigureRequest) error {
			for k, v := range req.Args.All {
				if a, ok := s[k]; ok {
					req.Args = req.Args.Set(k, a.decodeConfig(v))
				}
			}
			return configure(ctx, req)
		}
	}
	if check != nil {
		prov.CheckConfig = func(ctx context.Context, req p.CheckRequest) (p.CheckResponse, error) {
			resp, err := check(ctx, req)
			if err != nil || len(resp.Failures) > 0 {
				return resp, err
			}
			out := map[string]property.Value{}
			for k, v := range req.Inputs.All {
				if v.IsNull() || strings.HasPrefix(k, "__") {
					continue
				}
				secret := v.Secret() || resp.Inputs.Get(k).Secret()
				out[k] = encodeConfig(v.WithSecret(false)).WithSecret(secret)
			}
			resp.Inputs = property.NewMap(out)
			return resp, nil
		}
	}
	if diff != nil {
		prov.DiffConfig = func(ctx context.Context, req p.DiffRequest) (p.DiffResponse, error) {
			olds := req.OldInputs
			if olds.Len() == 0 {
				olds = req.State
			}
			return s.configDiff(olds, req.Inputs), nil
		}
	}
	return prov
}

// encodeConfig is the bridge's JSON encoding of a configuration value.
func encodeConfig(v property.Value) property.Value {
	if v.IsString() || v.HasComputed() {
		return v
	}
	b, err := json.Marshal(resource.ToResourcePropertyValue(Plain(v)).Mappable())
	if err != nil {
		return v
	}
	return property.New(string(b))
}

// decodeConfig reads an encoded value of a typed key back.
func (a Attr) decodeConfig(v property.Value) property.Value {
	if !v.IsString() {
		return v
	}
	s := v.AsString()
	switch a.Kind {
	case Bool:
		if b, err := strconv.ParseBool(s); err == nil {
			return property.New(b).WithSecret(v.Secret())
		}
	case Number:
		if f, err := strconv.ParseFloat(s, 64); err == nil {
			return property.New(f).WithSecret(v.Secret())
		}
	}
	return v
}

func (s Schema) configDiff(olds, news property.Map) p.DiffResponse {
	keys := map[string]bool{}
	for k := range olds.All {
		keys[k] = true
	}
	for k := range news.All {
		keys[k] = true
	}
	diff := map[string]p.PropertyDiff{}
	for k := range keys {
		if strings.HasPrefix(k, "__") {
			continue // the framework's markers
		}
		a := s[k]
		ov, nv := a.decodeConfig(olds.Get(k)), a.decodeConfig(news.Get(k))
		if ov.IsNull() {
			ov = a.Default
		}
		if nv.IsNull() {
			nv = a.Default
		}
		if !nv.HasComputed() && Plain(ov).Equals(Plain(nv)) {
			continue
		}
		diff[k] = p.PropertyDiff{Kind: p.Update, InputDiff: true}
	}
	return p.DiffResponse{HasChanges: len(diff) > 0, DetailedDiff: diff}
}

// WithoutFrameworkVersion wraps a plugin's gRPC server so that CheckConfig
// responses lack FrameworkVersionKey: the official plugins do not write it,
// and their DiffConfig would count it as a change.
func WithoutFrameworkVersion(s rpc.ResourceProviderServer) rpc.ResourceProviderServer {
	return withoutFrameworkVersion{s}
}

type withoutFrameworkVersion struct{ rpc.ResourceProviderServer }

func (s withoutFrameworkVersion) CheckConfig(ctx context.Context, req *rpc.CheckRequest) (*rpc.CheckResponse, error) {
	resp, err := s.ResourceProviderServer.CheckConfig(ctx, req)
	if resp != nil && resp.GetInputs() != nil {
		delete(resp.Inputs.Fields, FrameworkVersionKey)
	}
	return resp, err
}
