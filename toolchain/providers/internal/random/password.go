package random

import (
	"context"
	"fmt"

	p "github.com/pulumi/pulumi-go-provider"
	"github.com/pulumi/pulumi-go-provider/infer"
	"github.com/pulumi/pulumi/sdk/v3/go/property"
	"golang.org/x/crypto/bcrypt"

	"interhub/toolchain/providers/internal/randgen"
)

// Password is random:index/randomPassword:RandomPassword. Changes replace it
// or update it in place as the official plugin's plan modifiers decide
// (passwordDiff); an update keeps the password.
type Password struct{}

// PasswordArgs are the inputs. As in the official schema, none has a
// default there: Check returns the program's inputs as they are, and the
// state records what Terraform plans (planned).
type PasswordArgs struct {
	Length          int                `pulumi:"length"`
	Keepers         *map[string]string `pulumi:"keepers,optional"`
	Special         *bool              `pulumi:"special,optional"`
	OverrideSpecial *string            `pulumi:"overrideSpecial,optional"`
	Upper           *bool              `pulumi:"upper,optional"`
	Lower           *bool              `pulumi:"lower,optional"`
	Numeric         *bool              `pulumi:"numeric,optional"`
	Number          *bool              `pulumi:"number,optional"`
	MinUpper        *int               `pulumi:"minUpper,optional"`
	MinLower        *int               `pulumi:"minLower,optional"`
	MinNumeric      *int               `pulumi:"minNumeric,optional"`
	MinSpecial      *int               `pulumi:"minSpecial,optional"`
}

// PasswordState is the recorded state.
type PasswordState struct {
	PasswordArgs
	Result     string `pulumi:"result" provider:"secret"`
	BcryptHash string `pulumi:"bcryptHash" provider:"secret"`
}

func (r *Password) Annotate(a infer.Annotator) {
	a.SetToken("index/randomPassword", "RandomPassword")
	a.Describe(&r, "A random password from a cryptographic source; the result is secret.")
}

func (a *PasswordArgs) Annotate(an infer.Annotator) {
	an.Describe(&a.Length, "The length of the password, in characters.")
	an.Describe(&a.Keepers, "Arbitrary values that, when changed, force a new password.")
	an.Describe(&a.OverrideSpecial, "The special characters to use instead of the default list.")
	an.Describe(&a.Special, "Include special characters. Default value is `true`.")
	an.Describe(&a.Upper, "Include uppercase alphabet characters. Default value is `true`.")
	an.Describe(&a.Lower, "Include lowercase alphabet characters. Default value is `true`.")
	an.Describe(&a.Numeric, "Include numeric characters. Default value is `true`.")
	an.Deprecate(&a.Number, "**NOTE**: This is deprecated, use `numeric` instead.")
}

func (s *PasswordState) Annotate(a infer.Annotator) {
	a.Describe(&s.Result, "The generated password.")
	a.Describe(&s.BcryptHash, "A bcrypt hash of the first 72 bytes of the password.")
}

// Check validates the rules when every input they need is known, and
// returns the inputs without defaults, as the bridge's Check does for this
// Plugin Framework resource (pulumi-terraform-bridge
// pkg/pf/tfbridge/provider_check.go: the inputs are copied, only
// Pulumi-level defaults, which pulumi-random declares none of, are added).
func (*Password) Check(ctx context.Context, req infer.CheckRequest) (infer.CheckResponse[PasswordArgs], error) {
	news := req.NewInputs
	args, failures, err := infer.DefaultCheck[PasswordArgs](ctx, news)
	if err != nil || len(failures) > 0 {
		return infer.CheckResponse[PasswordArgs]{Inputs: args, Failures: failures}, err
	}
	number, numeric := news.Get("number"), news.Get("numeric")
	if !number.IsNull() && !numeric.IsNull() && known(number, numeric) && *args.Number != *args.Numeric {
		failures = append(failures, p.CheckFailure{Property: "numeric",
			Reason: "number and numeric are aliases and must not differ"})
	}
	if known(news.Get("length"), news.Get("special"), news.Get("overrideSpecial"), news.Get("upper"),
		news.Get("lower"), news.Get("numeric"), news.Get("number"), news.Get("minUpper"), news.Get("minLower"),
		news.Get("minNumeric"), news.Get("minSpecial")) {
		for _, pr := range rules(planned(args)).Validate() {
			failures = append(failures, p.CheckFailure{Property: pr.Property, Reason: pr.Reason})
		}
	}
	return infer.CheckResponse[PasswordArgs]{Inputs: args, Failures: failures}, nil
}

// planned is what Terraform plans for args and records in state: the
// schema's defaults for unset attributes (special, upper, lower true; the
// minimums 0), and number and numeric resolved from each other, both true
// when neither is set (terraform-provider-random
// internal/provider/resource_password.go passwordSchemaV3 and
// internal/planmodifiers/bool/boolplanmodifiers.go).
func planned(a PasswordArgs) PasswordArgs {
	t, zero := true, 0
	fill := func(v **bool) {
		if *v == nil {
			*v = &t
		}
	}
	fillInt := func(v **int) {
		if *v == nil {
			*v = &zero
		}
	}
	fill(&a.Special)
	fill(&a.Upper)
	fill(&a.Lower)
	fillInt(&a.MinUpper)
	fillInt(&a.MinLower)
	fillInt(&a.MinNumeric)
	fillInt(&a.MinSpecial)
	switch {
	case a.Number == nil && a.Numeric == nil:
		a.Number, a.Numeric = &t, &t
	case a.Number == nil:
		a.Number = a.Numeric
	case a.Numeric == nil:
		a.Numeric = a.Number
	}
	return a
}

func (*Password) Create(ctx context.Context, req infer.CreateRequest[PasswordArgs]) (infer.CreateResponse[PasswordState], error) {
	state := PasswordState{PasswordArgs: planned(req.Inputs)}
	if req.DryRun {
		return infer.CreateResponse[PasswordState]{ID: "none", Output: state}, nil
	}
	result, err := randgen.Password(rules(state.PasswordArgs), nil)
	if err != nil {
		return infer.CreateResponse[PasswordState]{}, fmt.Errorf("generating password: %w", err)
	}
	if state.BcryptHash, err = hash(result); err != nil {
		return infer.CreateResponse[PasswordState]{}, err
	}
	state.Result = result
	return infer.CreateResponse[PasswordState]{ID: "none", Output: state}, nil
}

// Update records the new inputs and keeps the password, as upstream's
// Update copies the plan into the state.
func (*Password) Update(ctx context.Context, req infer.UpdateRequest[PasswordArgs, PasswordState]) (
	infer.UpdateResponse[PasswordState], error,
) {
	return infer.UpdateResponse[PasswordState]{Output: PasswordState{
		PasswordArgs: planned(req.Inputs), Result: req.State.Result, BcryptHash: req.State.BcryptHash,
	}}, nil
}

// Read returns the state unchanged (there is nothing to look up), except on
// import, where the ID is the password itself, as upstream.
func (*Password) Read(ctx context.Context, req infer.ReadRequest[PasswordArgs, PasswordState]) (
	infer.ReadResponse[PasswordArgs, PasswordState], error,
) {
	if req.State.Result != "" {
		return infer.ReadResponse[PasswordArgs, PasswordState]{ID: req.ID, Inputs: req.Inputs, State: req.State}, nil
	}
	if req.ID == "" || req.ID == "none" {
		return infer.ReadResponse[PasswordArgs, PasswordState]{}, fmt.Errorf(
			"import a RandomPassword by passing the password itself as the ID")
	}
	// As upstream's ImportState: the length in bytes, every class on.
	args := planned(PasswordArgs{Length: len(req.ID)})
	h, err := hash(req.ID)
	if err != nil {
		return infer.ReadResponse[PasswordArgs, PasswordState]{}, err
	}
	state := PasswordState{PasswordArgs: args, Result: req.ID, BcryptHash: h}
	return infer.ReadResponse[PasswordArgs, PasswordState]{ID: "none", Inputs: args, State: state}, nil
}

func (*Password) WireDependencies(f infer.FieldSelector, args *PasswordArgs, state *PasswordState) {
	f.OutputField(&state.Result).AlwaysSecret()
	f.OutputField(&state.BcryptHash).AlwaysSecret()
	f.OutputField(&state.Result).DependsOn(f.InputField(args))
	f.OutputField(&state.BcryptHash).DependsOn(f.InputField(args))
}

func rules(a PasswordArgs) randgen.PasswordRules {
	return randgen.PasswordRules{
		Length:          a.Length,
		Upper:           deref(a.Upper, true),
		Lower:           deref(a.Lower, true),
		Numeric:         deref(a.Numeric, true),
		Special:         deref(a.Special, true),
		MinUpper:        deref(a.MinUpper, 0),
		MinLower:        deref(a.MinLower, 0),
		MinNumeric:      deref(a.MinNumeric, 0),
		MinSpecial:      deref(a.MinSpecial, 0),
		OverrideSpecial: deref(a.OverrideSpecial, ""),
	}
}

// hash is bcrypt of at most the first 72 bytes, which is all bcrypt reads.
func hash(s string) (string, error) {
	b := []byte(s)
	if len(b) > 72 {
		b = b[:72]
	}
	h, err := bcrypt.GenerateFromPassword(b, bcrypt.DefaultCost)
	if err != nil {
		return "", fmt.Errorf("hashing password: %w", err)
	}
	return string(h), nil
}

func deref[T any](v *T, def T) T {
	if v == nil {
		return def
	}
	return *v
}

// known is true when no value is (or contains) an unknown, which is when
// validation can run during a preview.
func known(vs ...property.Value) bool {
	for _, v := range vs {
		if v.HasComputed() {
			return false
		}
	}
	return true
}
