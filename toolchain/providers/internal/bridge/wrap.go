package bridge

import (
	"context"
	"strings"

	p "github.com/pulumi/pulumi-go-provider"
	presource "github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/property"
)

// Resource says how one resource type's inputs and state are shaped.
type Resource struct {
	// Check turns the framework's checked inputs (news) into the bridge's
	// shape; olds are the old inputs as the engine sent them.
	Check func(olds, news property.Map) property.Map
	// Diff, when set, replaces the framework's Diff. It gets the state, old
	// inputs and new inputs without reserved keys.
	Diff func(state, oldInputs, news property.Map) p.DiffResponse
	// State completes the state that Create, Update and Read return (the
	// "id" output and what else the bridge records); prev is the state
	// before, reserved keys included (empty for Create).
	State func(id string, state, prev property.Map, dryRun bool) property.Map
	// ReadInputs, when set, gives the inputs Read returns, from the
	// inputs before (reserved keys included) and the framework's answer.
	ReadInputs func(prev, read property.Map) property.Map
}

// Strip removes the keys the bridge reserves (every "__" key and "id"):
// pulumi-go-provider's infer refuses state and inputs with keys its types
// do not declare.
func Strip(m property.Map) property.Map {
	var drop []string
	for k := range m.All {
		if k == ID || strings.HasPrefix(k, "__") {
			drop = append(drop, k)
		}
	}
	if len(drop) == 0 {
		return m
	}
	return m.Delete(drop...)
}

// Wrap applies resources, by type token, around every call of prov that
// reads or writes their inputs or state.
func Wrap(prov p.Provider, resources map[string]Resource) p.Provider {
	lookup := func(urn presource.URN) (Resource, bool) {
		r, ok := resources[string(urn.Type())]
		return r, ok
	}
	check, diff, create, read, update, del := prov.Check, prov.Diff, prov.Create, prov.Read, prov.Update, prov.Delete
	prov.Check = func(ctx context.Context, req p.CheckRequest) (p.CheckResponse, error) {
		r, ok := lookup(req.Urn)
		if !ok {
			return check(ctx, req)
		}
		olds := req.State
		req.State, req.Inputs = Strip(req.State), Strip(req.Inputs)
		resp, err := check(ctx, req)
		if err == nil && r.Check != nil {
			resp.Inputs = r.Check(olds, resp.Inputs)
		}
		return resp, err
	}
	prov.Diff = func(ctx context.Context, req p.DiffRequest) (p.DiffResponse, error) {
		r, ok := lookup(req.Urn)
		if !ok {
			return diff(ctx, req)
		}
		req.State, req.OldInputs, req.Inputs = Strip(req.State), Strip(req.OldInputs), Strip(req.Inputs)
		if r.Diff != nil {
			// As the framework's diff: an ignored top-level input takes the state's value.
			news := req.Inputs
			for _, k := range req.IgnoreChanges {
				if v, ok := req.State.GetOk(k); ok {
					news = news.Set(k, v)
				}
			}
			return r.Diff(req.State, req.OldInputs, news), nil
		}
		return diff(ctx, req)
	}
	prov.Create = func(ctx context.Context, req p.CreateRequest) (p.CreateResponse, error) {
		r, ok := lookup(req.Urn)
		if !ok {
			return create(ctx, req)
		}
		req.Properties = Strip(req.Properties)
		resp, err := create(ctx, req)
		if err == nil && r.State != nil {
			resp.Properties = r.State(resp.ID, resp.Properties, property.Map{}, req.DryRun)
		}
		return resp, err
	}
	prov.Update = func(ctx context.Context, req p.UpdateRequest) (p.UpdateResponse, error) {
		r, ok := lookup(req.Urn)
		if !ok {
			return update(ctx, req)
		}
		prev := req.State
		req.State, req.OldInputs, req.Inputs = Strip(req.State), Strip(req.OldInputs), Strip(req.Inputs)
		resp, err := update(ctx, req)
		if err == nil && r.State != nil {
			resp.Properties = r.State(req.ID, resp.Properties, prev, req.DryRun)
		}
		return resp, err
	}
	prov.Read = func(ctx context.Context, req p.ReadRequest) (p.ReadResponse, error) {
		r, ok := lookup(req.Urn)
		if !ok {
			return read(ctx, req)
		}
		prev, prevInputs := req.Properties, req.Inputs
		req.Properties, req.Inputs = Strip(req.Properties), Strip(req.Inputs)
		resp, err := read(ctx, req)
		if err != nil || resp.ID == "" {
			return resp, err // failed, or gone
		}
		if r.State != nil {
			resp.Properties = r.State(resp.ID, resp.Properties, prev, false)
		}
		if r.ReadInputs != nil {
			resp.Inputs = r.ReadInputs(prevInputs, resp.Inputs)
		}
		return resp, nil
	}
	prov.Delete = func(ctx context.Context, req p.DeleteRequest) error {
		if _, ok := lookup(req.Urn); ok {
			req.Properties, req.OldInputs = Strip(req.Properties), Strip(req.OldInputs)
		}
		return del(ctx, req)
	}
	return prov
}

// KeepDefaults is a ReadInputs for SDKv2 resources: the "__defaults" list of
// the inputs before stays (the bridge's Read keeps it), and an import, which
// has no inputs before, gets an empty one.
func KeepDefaults(prev, read property.Map) property.Map {
	if d, ok := prev.GetOk(Defaults); ok {
		return read.Set(Defaults, d)
	}
	if prev.Len() == 0 {
		return read.Set(Defaults, property.New(property.NewArray(nil)))
	}
	return read
}

// Carry copies the given reserved keys of prev into state, when prev has them.
func Carry(state, prev property.Map, keys ...string) property.Map {
	for _, k := range keys {
		if v, ok := prev.GetOk(k); ok {
			state = state.Set(k, v)
		}
	}
	return state
}
