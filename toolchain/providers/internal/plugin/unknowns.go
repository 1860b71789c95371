package plugin

import (
	"context"

	p "github.com/pulumi/pulumi-go-provider"
	"github.com/pulumi/pulumi/sdk/v3/go/property"
)

// KeepUnknownInputs makes the plugin handle inputs that are both unknown and
// secret, the secret output of a resource created in the same preview (a
// RandomPassword's result), as it handles other unknowns: Check and
// CheckConfig return them unknown and secret, as the engine sent them, and
// Diff and DiffConfig count them as changes.
//
// The framework (pulumi-go-provider v1.3.0) mishandles such values in three
// places. infer's applySecrets, run on every Check response, re-applies the
// secret wrapper to the value the unknown was decoded to after the unknown
// marker, so the secret wins: a string becomes a known secret "", and an
// untyped value (a `triggers` element) a secret null, which goes on the wire
// as a secret without a value; the engine refuses that ("triggers[1]:
// malformed secret: missing value"). The complexconfig middleware in front of
// CheckConfig recurses without end on such a value, crashing the plugin. And
// infer's Diff converts it to an output value, which the SDK's map diff
// ignores, so a password about to change shows no update in the preview.
//
// So the wrapped functions see these inputs as plain unknowns (an unknown has
// no value to leak), and every input that was unknown in a Check request is
// unknown in the response again, with the secretness it was sent with: Check
// cannot learn a value the engine does not know yet.
func KeepUnknownInputs(prov p.Provider) p.Provider {
	check := func(f func(context.Context, p.CheckRequest) (p.CheckResponse, error)) func(context.Context, p.CheckRequest) (p.CheckResponse, error) {
		if f == nil {
			return nil
		}
		return func(ctx context.Context, req p.CheckRequest) (p.CheckResponse, error) {
			sent := req.Inputs
			req.Inputs = PlainUnknowns(sent)
			resp, err := f(ctx, req)
			resp.Inputs = RestoreUnknowns(sent, resp.Inputs)
			return resp, err
		}
	}
	diff := func(f func(context.Context, p.DiffRequest) (p.DiffResponse, error)) func(context.Context, p.DiffRequest) (p.DiffResponse, error) {
		if f == nil {
			return nil
		}
		return func(ctx context.Context, req p.DiffRequest) (p.DiffResponse, error) {
			req.Inputs = PlainUnknowns(req.Inputs)
			return f(ctx, req)
		}
	}
	prov.Check = check(prov.Check)
	prov.CheckConfig = check(prov.CheckConfig)
	prov.Diff = diff(prov.Diff)
	prov.DiffConfig = diff(prov.DiffConfig)
	return prov
}

// PlainUnknowns returns m with every unknown value, at any depth, not secret.
func PlainUnknowns(m property.Map) property.Map {
	out := m
	for k, v := range m.All {
		out = out.Set(k, plainUnknown(v))
	}
	return out
}

func plainUnknown(v property.Value) property.Value {
	switch {
	case v.IsComputed():
		return v.WithSecret(false)
	case v.IsArray():
		elems := v.AsArray().AsSlice()
		for i, e := range elems {
			elems[i] = plainUnknown(e)
		}
		return property.WithGoValue(v, property.NewArray(elems))
	case v.IsMap():
		return property.WithGoValue(v, PlainUnknowns(v.AsMap()))
	default:
		return v
	}
}

// RestoreUnknowns returns checked with every value that is unknown in sent
// (at the same path) unknown again, secret when either side is. Paths that
// only one side has are left as checked has them.
func RestoreUnknowns(sent, checked property.Map) property.Map {
	out := checked
	for k, s := range sent.All {
		if c, ok := checked.GetOk(k); ok {
			out = out.Set(k, restoreValue(s, c))
		}
	}
	return out
}

func restoreValue(sent, checked property.Value) property.Value {
	switch {
	case sent.IsComputed():
		return property.WithGoValue(checked, property.Computed).WithSecret(checked.Secret() || sent.Secret())
	case sent.IsArray() && checked.IsArray() && sent.AsArray().Len() == checked.AsArray().Len():
		elems := checked.AsArray().AsSlice()
		for i, s := range sent.AsArray().All {
			elems[i] = restoreValue(s, elems[i])
		}
		return property.WithGoValue(checked, property.NewArray(elems))
	case sent.IsMap() && checked.IsMap():
		return property.WithGoValue(checked, RestoreUnknowns(sent.AsMap(), checked.AsMap()))
	default:
		return checked
	}
}
