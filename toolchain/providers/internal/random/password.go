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

// passwordMeta is what the official plugin records as the schema version of
// its RandomPassword state. Writing it keeps a stack readable by the official
// plugin without a state upgrade.
const passwordMeta = `{"schema_version":"3"}`

// Password is random:index/randomPassword:RandomPassword. Every input change
// replaces it (it has no Update), as upstream.
type Password struct{}

// PasswordArgs are the inputs, with upstream's defaults.
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
	Meta       string `pulumi:"__meta,optional"`
}

func (r *Password) Annotate(a infer.Annotator) {
	a.SetToken("index/randomPassword", "RandomPassword")
	a.Describe(&r, "A random password from a cryptographic source; the result is secret.")
}

func (a *PasswordArgs) Annotate(an infer.Annotator) {
	an.Describe(&a.Length, "The length of the password.")
	an.Describe(&a.Keepers, "Arbitrary values that, when changed, force a new password.")
	an.Describe(&a.OverrideSpecial, "The special characters to use instead of the default list.")
	an.SetDefault(&a.Special, true)
	an.SetDefault(&a.Upper, true)
	an.SetDefault(&a.Lower, true)
	an.SetDefault(&a.Numeric, true)
	an.SetDefault(&a.Number, true)
	an.Deprecate(&a.Number, "**NOTE**: This is deprecated, use `numeric` instead.")
	an.SetDefault(&a.MinUpper, 0)
	an.SetDefault(&a.MinLower, 0)
	an.SetDefault(&a.MinNumeric, 0)
	an.SetDefault(&a.MinSpecial, 0)
}

func (s *PasswordState) Annotate(a infer.Annotator) {
	a.Describe(&s.Result, "The generated password.")
	a.Describe(&s.BcryptHash, "A bcrypt hash of the first 72 bytes of the password.")
}

// Check applies defaults, keeps number and numeric in step (they are aliases)
// and validates the rules when every input they need is known.
func (*Password) Check(ctx context.Context, req infer.CheckRequest) (infer.CheckResponse[PasswordArgs], error) {
	news := req.NewInputs
	number, hasNumber := present(news, "number")
	numeric, hasNumeric := present(news, "numeric")
	switch {
	case hasNumber && !hasNumeric:
		news = news.Set("numeric", number)
	case hasNumeric && !hasNumber:
		news = news.Set("number", numeric)
	}
	args, failures, err := infer.DefaultCheck[PasswordArgs](ctx, news)
	if err != nil || len(failures) > 0 {
		return infer.CheckResponse[PasswordArgs]{Inputs: args, Failures: failures}, err
	}
	if hasNumber && hasNumeric && known(number, numeric) && *args.Number != *args.Numeric {
		failures = append(failures, p.CheckFailure{Property: "numeric",
			Reason: "number and numeric are aliases and must not differ"})
	}
	if known(news.Get("length"), news.Get("special"), news.Get("overrideSpecial"), news.Get("upper"),
		news.Get("lower"), news.Get("numeric"), news.Get("minUpper"), news.Get("minLower"),
		news.Get("minNumeric"), news.Get("minSpecial")) {
		for _, pr := range rules(args).Validate() {
			failures = append(failures, p.CheckFailure{Property: pr.Property, Reason: pr.Reason})
		}
	}
	return infer.CheckResponse[PasswordArgs]{Inputs: args, Failures: failures}, nil
}

func (*Password) Create(ctx context.Context, req infer.CreateRequest[PasswordArgs]) (infer.CreateResponse[PasswordState], error) {
	state := PasswordState{PasswordArgs: req.Inputs, Meta: passwordMeta}
	if req.DryRun {
		return infer.CreateResponse[PasswordState]{ID: "none", Output: state}, nil
	}
	result, err := randgen.Password(rules(req.Inputs), nil)
	if err != nil {
		return infer.CreateResponse[PasswordState]{}, fmt.Errorf("generating password: %w", err)
	}
	if state.BcryptHash, err = hash(result); err != nil {
		return infer.CreateResponse[PasswordState]{}, err
	}
	state.Result = result
	return infer.CreateResponse[PasswordState]{ID: "none", Output: state}, nil
}

// Read returns the state unchanged (there is nothing to look up), except on
// import, where the ID is the password itself, as upstream.
func (*Password) Read(ctx context.Context, req infer.ReadRequest[PasswordArgs, PasswordState]) (
	infer.ReadResponse[PasswordArgs, PasswordState], error,
) {
	if req.State.Result != "" {
		state := req.State
		state.Meta = passwordMeta
		return infer.ReadResponse[PasswordArgs, PasswordState]{ID: req.ID, Inputs: req.Inputs, State: state}, nil
	}
	if req.ID == "" || req.ID == "none" {
		return infer.ReadResponse[PasswordArgs, PasswordState]{}, fmt.Errorf(
			"import a RandomPassword by passing the password itself as the ID")
	}
	t, zero := true, 0
	args := PasswordArgs{
		Length: len(req.ID), Special: &t, Upper: &t, Lower: &t, Numeric: &t, Number: &t,
		MinUpper: &zero, MinLower: &zero, MinNumeric: &zero, MinSpecial: &zero,
	}
	h, err := hash(req.ID)
	if err != nil {
		return infer.ReadResponse[PasswordArgs, PasswordState]{}, err
	}
	state := PasswordState{PasswordArgs: args, Result: req.ID, BcryptHash: h, Meta: passwordMeta}
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

func present(m property.Map, key string) (property.Value, bool) {
	v, ok := m.GetOk(key)
	return v, ok && !v.IsNull()
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
