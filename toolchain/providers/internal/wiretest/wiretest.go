// Package wiretest drives a provider through the gRPC server the framework
// puts in front of it, with values shaped as the engine sends them, and checks
// responses as strictly as the engine reads them. For the plugins' tests only.
package wiretest

import (
	"context"
	"fmt"
	"testing"

	p "github.com/pulumi/pulumi-go-provider"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/sig"
	rpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/protobuf/types/known/structpb"
)

// UnknownSecrets are the two ways an engine sends a secret whose value is not
// known yet: an output value (to providers that accept outputs, as these do)
// and a secret wrapping the unknown sentinel.
func UnknownSecrets() map[string]*structpb.Value {
	return map[string]*structpb.Value{
		"output value": structpb.NewStructValue(&structpb.Struct{Fields: map[string]*structpb.Value{
			sig.Key: structpb.NewStringValue(sig.OutputValue), "secret": structpb.NewBoolValue(true),
		}}),
		"secret sentinel": Secret(structpb.NewStringValue(plugin.UnknownStringValue)),
	}
}

// Secret wraps v in a secret.
func Secret(v *structpb.Value) *structpb.Value {
	return structpb.NewStructValue(&structpb.Struct{Fields: map[string]*structpb.Value{
		sig.Key: structpb.NewStringValue(sig.Secret), "value": v,
	}})
}

// Server serves prov as the plugin's gRPC server does, without an engine.
func Server(t *testing.T, name string, prov p.Provider) rpc.ResourceProviderServer {
	t.Helper()
	srv, err := p.RawServer(name, "0.0.0", prov)(nil)
	if err != nil {
		t.Fatal(err)
	}
	return srv
}

// Decode reads a response's properties the way the engine does, failing the
// test on anything the engine refuses: a secret with no value (the engine
// says "malformed secret: missing value").
func Decode(t *testing.T, s *structpb.Struct) resource.PropertyMap {
	t.Helper()
	if err := wellFormed("", structpb.NewStructValue(s)); err != nil {
		t.Fatal(err)
	}
	m, err := plugin.UnmarshalProperties(s, plugin.MarshalOptions{
		KeepUnknowns: true, KeepSecrets: true, KeepOutputValues: true, KeepResources: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func wellFormed(path string, v *structpb.Value) error {
	switch v := v.GetKind().(type) {
	case *structpb.Value_ListValue:
		for i, e := range v.ListValue.GetValues() {
			if err := wellFormed(fmt.Sprintf("%s[%d]", path, i), e); err != nil {
				return err
			}
		}
	case *structpb.Value_StructValue:
		f := v.StructValue.GetFields()
		if f[sig.Key].GetStringValue() == sig.Secret {
			if _, ok := f["value"]; !ok {
				return fmt.Errorf("%s: malformed secret: missing value", path)
			}
		}
		for k, e := range f {
			if err := wellFormed(path+"."+k, e); err != nil {
				return err
			}
		}
	}
	return nil
}

// UnknownSecret is true when v is a secret whose value is not known, in any of
// the forms the SDK's PropertyValue has for it.
func UnknownSecret(v resource.PropertyValue) bool {
	switch {
	case v.IsOutput():
		return !v.OutputValue().Known && v.OutputValue().Secret
	case v.IsSecret():
		return v.SecretValue().Element.IsComputed() ||
			(v.SecretValue().Element.IsOutput() && !v.SecretValue().Element.OutputValue().Known)
	case v.IsComputed():
		e := v.Input().Element
		return e.IsSecret() || (e.IsOutput() && e.OutputValue().Secret)
	}
	return false
}

// Check calls Check for urn with news and returns the checked inputs as the
// engine reads them, failing on check failures.
func Check(t *testing.T, srv rpc.ResourceProviderServer, urn string, news *structpb.Struct) resource.PropertyMap {
	t.Helper()
	resp, err := srv.Check(context.Background(), &rpc.CheckRequest{Urn: urn, News: news})
	if err != nil {
		t.Fatalf("Check: %v", err)
	}
	for _, f := range resp.GetFailures() {
		t.Errorf("Check failure: %s: %s", f.GetProperty(), f.GetReason())
	}
	return Decode(t, resp.GetInputs())
}

// Marshal is the inverse of Decode, for passing checked inputs on.
func Marshal(t *testing.T, m resource.PropertyMap) *structpb.Struct {
	t.Helper()
	s, err := plugin.MarshalProperties(m, plugin.MarshalOptions{
		KeepUnknowns: true, KeepSecrets: true, KeepOutputValues: true, KeepResources: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// At is the value at a path of map keys (string) and list indexes (int),
// looking through secrets and known outputs on the way; null when absent.
func At(m resource.PropertyMap, path ...any) resource.PropertyValue {
	v := resource.NewObjectProperty(m)
	for _, step := range path {
		for {
			if v.IsSecret() {
				v = v.SecretValue().Element
			} else if v.IsOutput() && v.OutputValue().Known {
				v = v.OutputValue().Element
			} else {
				break
			}
		}
		switch s := step.(type) {
		case string:
			if !v.IsObject() {
				return resource.NewNullProperty()
			}
			v = v.ObjectValue()[resource.PropertyKey(s)]
		case int:
			if !v.IsArray() || s >= len(v.ArrayValue()) {
				return resource.NewNullProperty()
			}
			v = v.ArrayValue()[s]
		}
	}
	return v
}
