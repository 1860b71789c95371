package components

import (
	"fmt"
	"strconv"

	"github.com/pulumi/pulumi-random/sdk/v4/go/random"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// SessionSecretArgs configures IHP's session signing key.
type SessionSecretArgs struct {
	// Rotation is a keeper: changing it generates a new key (and signs everyone out).
	Rotation int
}

// SessionSecret is 64 hexadecimal characters (256 bits), stable across updates.
type SessionSecret struct {
	pulumi.ResourceState

	Value pulumi.StringOutput // secret
}

// NewSessionSecret generates the key.
//
// It is a RandomPassword restricted to the hex alphabet rather than a 32-byte RandomId:
// RandomId's hex output is not secret and its resource ID is the same bytes in base64url,
// which Pulumi stores in plain text and cannot mark secret. RandomPassword keeps the result
// encrypted in state and draws every character uniformly, so 64 characters carry 256 bits.
func NewSessionSecret(ctx *pulumi.Context, name string, args *SessionSecretArgs, opts ...pulumi.ResourceOption) (*SessionSecret, error) {
	s := &SessionSecret{}
	if err := ctx.RegisterComponentResource("inter-hub:secrets:SessionSecret", name, s, opts...); err != nil {
		return nil, err
	}
	key, err := random.NewRandomPassword(ctx, name+"-key", &random.RandomPasswordArgs{
		Length:          pulumi.Int(64),
		Upper:           pulumi.Bool(false),
		Lower:           pulumi.Bool(false),
		Numeric:         pulumi.Bool(true),
		Special:         pulumi.Bool(true),
		OverrideSpecial: pulumi.String("abcdef"),
		Keepers:         pulumi.StringMap{"rotation": pulumi.String(strconv.Itoa(args.Rotation))},
	}, pulumi.Parent(s))
	if err != nil {
		return nil, fmt.Errorf("session secret: %w", err)
	}
	s.Value = pulumi.ToSecret(key.Result).(pulumi.StringOutput)
	if err := ctx.RegisterResourceOutputs(s, pulumi.Map{"value": s.Value}); err != nil {
		return nil, err
	}
	return s, nil
}
