package mockstack

import (
	"slices"
	"testing"

	"github.com/pulumi/pulumi-random/sdk/v4/go/random"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Holding finds a value in any registration's inputs, secret or not, except the ones named.
func TestHolding(t *testing.T) {
	m := &Monitor{}
	err := m.Run(func(ctx *pulumi.Context) error {
		for _, name := range []string{"a", "b", "c"} {
			prefix := pulumi.String("x")
			if name != "c" {
				prefix = pulumi.String("token-42")
			}
			if _, err := random.NewRandomString(ctx, name, &random.RandomStringArgs{
				Length:  pulumi.Int(8),
				Keepers: pulumi.StringMap{"k": pulumi.ToSecret(prefix).(pulumi.StringOutput)},
			}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	a := m.One(t, "random:index/randomString:RandomString", "a")
	if got := m.Holding("token-42", a); !slices.Equal(got, []string{"random:index/randomString:RandomString b"}) {
		t.Errorf("Holding = %q", got)
	}
	if got := m.Holding("absent"); len(got) != 0 {
		t.Errorf("Holding(absent) = %q", got)
	}
}
