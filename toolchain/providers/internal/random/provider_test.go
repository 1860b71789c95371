package random

import (
	"testing"

	"google.golang.org/protobuf/types/known/structpb"

	"interhub/toolchain/providers/internal/wiretest"
)

// Keepers may hold the secret result of another resource created in the same
// update; during preview it stays unknown, so the plan shows a replacement
// rather than a comparison with an empty string.
func TestUnknownSecretKeepers(t *testing.T) {
	prov, err := Provider()
	if err != nil {
		t.Fatal(err)
	}
	srv := wiretest.Server(t, "random", prov)
	for form, pw := range wiretest.UnknownSecrets() {
		for typ, args := range map[string]map[string]*structpb.Value{
			"random:index/randomPassword:RandomPassword": {"length": structpb.NewNumberValue(16)},
			"random:index/randomId:RandomId":             {"byteLength": structpb.NewNumberValue(8)},
		} {
			args["keepers"] = structpb.NewStructValue(&structpb.Struct{Fields: map[string]*structpb.Value{
				"other": pw, "plain": structpb.NewStringValue("one"),
			}})
			checked := wiretest.Check(t, srv, "urn:pulumi:test::proj::"+typ+"::r", &structpb.Struct{Fields: args})
			if v := wiretest.At(checked, "keepers", "other"); !wiretest.UnknownSecret(v) {
				t.Errorf("%s %s: keepers.other = %v, want an unknown secret", form, typ, v)
			}
			if v := wiretest.At(checked, "keepers", "plain"); !v.IsString() || v.StringValue() != "one" {
				t.Errorf("%s %s: keepers.plain = %v", form, typ, v)
			}
		}
	}
}
