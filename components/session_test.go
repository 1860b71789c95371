package components

import (
	"github.com/coulomb-social/inter-hub-deploy/test/support/mockstack"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

func TestSessionSecretIsStableHexFromAPassword(t *testing.T) {
	rec := &mockstack.Monitor{}
	if err := rec.Run(func(ctx *pulumi.Context) error {
		_, err := NewSessionSecret(ctx, "session-secret", &SessionSecretArgs{Rotation: 3})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	in := rec.One(t, tPassword, "session-secret-key").Inputs
	if in["length"].NumberValue() != 64 || in["upper"].BoolValue() || in["lower"].BoolValue() ||
		!in["numeric"].BoolValue() || in["overrideSpecial"].StringValue() != "abcdef" {
		t.Errorf("session key inputs = %v", in)
	}
	if got := in["keepers"].ObjectValue()["rotation"].StringValue(); got != "3" {
		t.Errorf("keepers.rotation = %q", got)
	}
	if len(rec.OfType("random:index/randomId:RandomId")) != 0 {
		t.Error("a RandomId would keep the key in plain text as its ID")
	}
}
