package random

import (
	"context"
	"testing"

	"github.com/pulumi/pulumi-go-provider/infer"
	"github.com/pulumi/pulumi/sdk/v3/go/property"
)

func check(t *testing.T, in map[string]property.Value) (PasswordArgs, []string) {
	t.Helper()
	resp, err := (&Password{}).Check(context.Background(), infer.CheckRequest{NewInputs: property.NewMap(in)})
	if err != nil {
		t.Fatal(err)
	}
	var failed []string
	for _, f := range resp.Failures {
		failed = append(failed, f.Property)
	}
	return resp.Inputs, failed
}

// Check leaves unset inputs unset, as the bridge's Check does; the state
// records the planned values.
func TestCheckAddsNoDefaults(t *testing.T) {
	args, failed := check(t, map[string]property.Value{"length": property.New(12.0)})
	if len(failed) > 0 {
		t.Fatalf("failures %v", failed)
	}
	if args.Upper != nil || args.Numeric != nil || args.Number != nil || args.MinUpper != nil {
		t.Fatalf("Check filled defaults: %+v", args)
	}
	pl := planned(args)
	if !*pl.Upper || !*pl.Lower || !*pl.Numeric || !*pl.Number || !*pl.Special || *pl.MinUpper != 0 {
		t.Fatalf("planned state lacks the defaults: %+v", pl)
	}
}

// number is a deprecated alias of numeric: the plan sets one from the other,
// and they must not differ.
func TestNumberAlias(t *testing.T) {
	f := false
	if pl := planned(PasswordArgs{Length: 12, Number: &f}); *pl.Numeric || *pl.Number {
		t.Fatalf("number=false did not carry over to numeric: %+v", pl)
	}
	if pl := planned(PasswordArgs{Length: 12, Numeric: &f}); *pl.Number {
		t.Fatalf("numeric=false did not carry over to number")
	}
	_, failed := check(t, map[string]property.Value{
		"length": property.New(12.0), "numeric": property.New(false), "number": property.New(true),
	})
	if len(failed) != 1 || failed[0] != "numeric" {
		t.Fatalf("conflicting aliases: failures %v", failed)
	}
}

func TestCheckRules(t *testing.T) {
	_, failed := check(t, map[string]property.Value{"length": property.New(3.0), "minUpper": property.New(4.0)})
	if len(failed) != 1 || failed[0] != "length" {
		t.Fatalf("failures %v, want length", failed)
	}
	// An unknown length (during preview) cannot be judged yet.
	_, failed = check(t, map[string]property.Value{"length": property.New(property.Computed), "minUpper": property.New(4.0)})
	if len(failed) != 0 {
		t.Fatalf("unknown length: failures %v", failed)
	}
}
