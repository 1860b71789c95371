package components

import (
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

func TestSessionSecretIsStableHexFromAPassword(t *testing.T) {
	rec := &recorder{}
	if err := rec.run(func(ctx *pulumi.Context) error {
		_, err := NewSessionSecret(ctx, "session-secret", &SessionSecretArgs{Rotation: 3})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	in := rec.one(t, tPassword, "session-secret-key").Inputs
	if in["length"].NumberValue() != 64 || in["upper"].BoolValue() || in["lower"].BoolValue() ||
		!in["numeric"].BoolValue() || in["overrideSpecial"].StringValue() != "abcdef" {
		t.Errorf("session key inputs = %v", in)
	}
	if got := in["keepers"].ObjectValue()["rotation"].StringValue(); got != "3" {
		t.Errorf("keepers.rotation = %q", got)
	}
	if len(rec.ofType("random:index/randomId:RandomId")) != 0 {
		t.Error("a RandomId would keep the key in plain text as its ID")
	}
}
