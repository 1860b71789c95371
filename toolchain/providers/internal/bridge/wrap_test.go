package bridge

import (
	"context"
	"strings"
	"testing"

	p "github.com/pulumi/pulumi-go-provider"
	presource "github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/property"
)

const wrapURN = presource.URN("urn:pulumi:test::proj::pkg:index/thing:Thing::t")

// reservedIn reports the reserved keys a wrapped function was given.
func reservedIn(ms ...property.Map) []string {
	var out []string
	for _, m := range ms {
		for k := range m.All {
			if k == ID || strings.HasPrefix(k, "__") {
				out = append(out, k)
			}
		}
	}
	return out
}

func TestWrapSetsReservedKeysAsideAndWritesThemBack(t *testing.T) {
	var seen []string
	inner := p.Provider{
		Check: func(_ context.Context, req p.CheckRequest) (p.CheckResponse, error) {
			seen = append(seen, reservedIn(req.State, req.Inputs)...)
			return p.CheckResponse{Inputs: req.Inputs}, nil
		},
		Create: func(_ context.Context, req p.CreateRequest) (p.CreateResponse, error) {
			seen = append(seen, reservedIn(req.Properties)...)
			return p.CreateResponse{ID: "t1", Properties: req.Properties}, nil
		},
		Update: func(_ context.Context, req p.UpdateRequest) (p.UpdateResponse, error) {
			seen = append(seen, reservedIn(req.State, req.Inputs, req.OldInputs)...)
			return p.UpdateResponse{Properties: req.Inputs}, nil
		},
		Read: func(_ context.Context, req p.ReadRequest) (p.ReadResponse, error) {
			seen = append(seen, reservedIn(req.Properties, req.Inputs)...)
			return p.ReadResponse{ID: req.ID, Properties: req.Properties, Inputs: req.Inputs}, nil
		},
		Delete: func(_ context.Context, req p.DeleteRequest) error {
			seen = append(seen, reservedIn(req.Properties, req.OldInputs)...)
			return nil
		},
	}
	prov := Wrap(inner, map[string]Resource{"pkg:index/thing:Thing": {
		Check: testSchema.CheckInputs,
		Diff:  func(state, _, news property.Map) p.DiffResponse { return testSchema.Diff(state, news) },
		State: func(id string, state, prev property.Map, _ bool) property.Map {
			return Carry(state.Set(ID, property.New(state.Get("name").AsString())), prev, Meta)
		},
		ReadInputs: KeepDefaults,
	}})
	ctx := context.Background()
	official := m("name", "a", "password", "x", ID, "a", Meta, "{}", RawStateDelta, map[string]any{"obj": map[string]any{}})
	officialInputs := m("name", "a", "password", "x", "limit", -1.0, Defaults, list("limit"))

	checked, _ := prov.Check(ctx, p.CheckRequest{Urn: wrapURN, State: officialInputs, Inputs: m("name", "b", "password", "x")})
	if d := checked.Inputs.Get(Defaults); !d.IsArray() || d.AsArray().Len() != 3 {
		t.Errorf("checked inputs %v, want __defaults of inherit, limit, until", checked.Inputs)
	}
	created, _ := prov.Create(ctx, p.CreateRequest{Urn: wrapURN, Properties: checked.Inputs})
	if created.Properties.Get(ID).AsString() != "b" {
		t.Errorf("created state %v lacks the id output", created.Properties)
	}
	updated, _ := prov.Update(ctx, p.UpdateRequest{Urn: wrapURN, ID: "a", State: official, OldInputs: officialInputs, Inputs: checked.Inputs})
	if updated.Properties.Get(ID).AsString() != "b" || updated.Properties.Get(Meta).AsString() != "{}" {
		t.Errorf("updated state %v: want id b and the __meta kept", updated.Properties)
	}
	read, _ := prov.Read(ctx, p.ReadRequest{Urn: wrapURN, ID: "a", Properties: official, Inputs: officialInputs})
	if !read.Inputs.Get(Defaults).Equals(officialInputs.Get(Defaults)) {
		t.Errorf("read inputs %v lost __defaults", read.Inputs)
	}
	if err := prov.Delete(ctx, p.DeleteRequest{Urn: wrapURN, ID: "a", Properties: official, OldInputs: officialInputs}); err != nil {
		t.Fatal(err)
	}
	if len(seen) > 0 {
		t.Errorf("the wrapped provider was given reserved keys %v", seen)
	}

	diff, _ := prov.Diff(ctx, p.DiffRequest{Urn: wrapURN, ID: "a", State: official.Set("inherit", property.New(true)), OldInputs: officialInputs,
		Inputs: m("name", "a", "password", "y"), IgnoreChanges: []string{"password"}})
	if diff.HasChanges {
		t.Errorf("an ignored change: %v", diff.DetailedDiff)
	}
}
