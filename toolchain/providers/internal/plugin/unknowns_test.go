package plugin

import (
	"context"
	"testing"

	p "github.com/pulumi/pulumi-go-provider"
	"github.com/pulumi/pulumi/sdk/v3/go/property"
)

var unknownSecret = property.New(property.Computed).WithSecret(true)

func TestRestoreUnknowns(t *testing.T) {
	sent := property.NewMap(map[string]property.Value{
		"triggers": property.New([]property.Value{property.New("app"), unknownSecret}),
		"environment": property.New(map[string]property.Value{
			"PW": unknownSecret, "PLAIN": property.New("x"),
		}),
		"stdin":    unknownSecret,
		"unknown":  property.New(property.Computed),
		"resolved": property.New("kept"),
	})
	// What the framework's Check makes of it: known secrets, a secret null.
	checked := property.NewMap(map[string]property.Value{
		"triggers": property.New([]property.Value{property.New("app"), property.New(property.Null).WithSecret(true)}),
		"environment": property.New(map[string]property.Value{
			"PW": property.New("").WithSecret(true), "PLAIN": property.New("x"),
		}),
		"stdin":    property.New("").WithSecret(true),
		"unknown":  property.New(""),
		"resolved": property.New("kept"),
		"default":  property.New(true),
	})
	got := RestoreUnknowns(sent, checked)
	want := property.NewMap(map[string]property.Value{
		"triggers": property.New([]property.Value{property.New("app"), unknownSecret}),
		"environment": property.New(map[string]property.Value{
			"PW": unknownSecret, "PLAIN": property.New("x"),
		}),
		"stdin":    unknownSecret,
		"unknown":  property.New(property.Computed),
		"resolved": property.New("kept"),
		"default":  property.New(true),
	})
	if !property.New(got).Equals(property.New(want)) {
		t.Fatalf("got  %v\nwant %v", got, want)
	}
}

func TestRestoreUnknownsKeepsSecretness(t *testing.T) {
	// An unknown that a secret field annotation made secret stays secret.
	sent := property.NewMap(map[string]property.Value{"connection": property.New(property.Computed)})
	checked := property.NewMap(map[string]property.Value{"connection": property.New(property.Computed).WithSecret(true)})
	if got := RestoreUnknowns(sent, checked).Get("connection"); !got.IsComputed() || !got.Secret() {
		t.Fatalf("connection = %v, want a secret unknown", got)
	}
	// A known secret in a list stays as it is.
	known := property.NewMap(map[string]property.Value{
		"triggers": property.New([]property.Value{property.New("pw").WithSecret(true)}),
	})
	if got := RestoreUnknowns(known, known); !property.New(got).Equals(property.New(known)) {
		t.Fatalf("known values changed: %v", got)
	}
}

func TestKeepUnknownInputs(t *testing.T) {
	// A stand-in for the framework: it fails on a secret unknown, as
	// complexconfig does, and returns a known secret for the unknown, as
	// applySecrets does.
	var sawSecretUnknown bool
	seen := func(m property.Map) {
		for _, v := range m.All {
			if v.IsComputed() && v.Secret() {
				sawSecretUnknown = true
			}
		}
	}
	check := func(_ context.Context, req p.CheckRequest) (p.CheckResponse, error) {
		seen(req.Inputs)
		return p.CheckResponse{Inputs: property.NewMap(map[string]property.Value{
			"password": property.New("").WithSecret(true),
		})}, nil
	}
	diff := func(_ context.Context, req p.DiffRequest) (p.DiffResponse, error) {
		seen(req.Inputs)
		return p.DiffResponse{}, nil
	}
	prov := KeepUnknownInputs(p.Provider{Check: check, CheckConfig: check, Diff: diff, DiffConfig: diff})
	inputs := property.NewMap(map[string]property.Value{"password": unknownSecret})
	for name, check := range map[string]func(context.Context, p.CheckRequest) (p.CheckResponse, error){
		"Check": prov.Check, "CheckConfig": prov.CheckConfig,
	} {
		resp, err := check(context.Background(), p.CheckRequest{Inputs: inputs})
		if err != nil {
			t.Fatal(err)
		}
		if got := resp.Inputs.Get("password"); !got.IsComputed() || !got.Secret() {
			t.Errorf("%s: password = %v, want a secret unknown", name, got)
		}
	}
	for _, diff := range []func(context.Context, p.DiffRequest) (p.DiffResponse, error){prov.Diff, prov.DiffConfig} {
		if _, err := diff(context.Background(), p.DiffRequest{Inputs: inputs}); err != nil {
			t.Fatal(err)
		}
	}
	if sawSecretUnknown {
		t.Error("a wrapped function was handed a secret unknown")
	}
	if KeepUnknownInputs(p.Provider{}).Check != nil {
		t.Error("a provider without Check got one")
	}
}

func TestPlainUnknowns(t *testing.T) {
	in := property.NewMap(map[string]property.Value{
		"triggers": property.New([]property.Value{property.New("pw").WithSecret(true), unknownSecret}),
		"env":      property.New(map[string]property.Value{"PW": unknownSecret}).WithSecret(true),
	})
	want := property.NewMap(map[string]property.Value{
		"triggers": property.New([]property.Value{property.New("pw").WithSecret(true), property.New(property.Computed)}),
		"env":      property.New(map[string]property.Value{"PW": property.New(property.Computed)}).WithSecret(true),
	})
	if got := PlainUnknowns(in); !property.New(got).Equals(property.New(want)) {
		t.Fatalf("got  %v\nwant %v", got, want)
	}
}
