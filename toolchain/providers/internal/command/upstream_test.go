package command_test

import (
	"context"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	rpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/protobuf/types/known/structpb"

	"interhub/toolchain/providers/internal/wiretest"
)

// As pulumi-command 1.2.1 (provider/pkg/provider/{local,remote}/command.go):
// addPreviousOutputInEnv has no default, so Check leaves it unset.
func TestCheckLeavesAddPreviousOutputInEnvUnset(t *testing.T) {
	srv := server(t)
	for _, urn := range []string{localURN, remoteURN} {
		f := map[string]*structpb.Value{"create": str("true")}
		if urn == remoteURN {
			f["connection"] = obj(map[string]*structpb.Value{"host": str("127.0.0.1")})
		}
		checked := wiretest.Check(t, srv, urn, &structpb.Struct{Fields: f})
		if v, ok := checked["addPreviousOutputInEnv"]; ok {
			t.Errorf("%s: Check set addPreviousOutputInEnv = %v", urn, v)
		}
	}
}

// pulumi-command wires no dependencies, so pulumi-go-provider's default
// applies: stdout is not secret because the environment is (the program
// marks it with additionalSecretOutputs when it may be), and in a preview
// of an update any changed input makes stdout unknown.
func TestStdoutSecretnessAndUnknownsAsUpstream(t *testing.T) {
	srv := server(t)
	ctx := context.Background()
	in := resource.PropertyMap{
		"create":      resource.NewProperty("printf %s \"$SECRETVAR\""),
		"logging":     resource.NewProperty("stdoutAndStderr"),
		"environment": resource.NewProperty(resource.PropertyMap{"SECRETVAR": resource.MakeSecret(resource.NewProperty("s3cret"))}),
	}
	checked := wiretest.Check(t, srv, localURN, wiretest.Marshal(t, in))
	created, err := srv.Create(ctx, &rpc.CreateRequest{Urn: localURN, Properties: wiretest.Marshal(t, checked)})
	if err != nil {
		t.Fatal(err)
	}
	out := wiretest.Decode(t, created.GetProperties())
	if v := out["stdout"]; v.IsSecret() || !v.IsString() || v.StringValue() != "s3cret" {
		t.Errorf("stdout = %v, want plain s3cret as upstream records it", v)
	}
	news := checked.Copy()
	news["logging"] = resource.NewProperty("none")
	upd, err := srv.Update(ctx, &rpc.UpdateRequest{Id: created.GetId(), Urn: localURN, Olds: created.GetProperties(),
		News: wiretest.Marshal(t, news), OldInputs: wiretest.Marshal(t, checked), Preview: true})
	if err != nil {
		t.Fatal(err)
	}
	if v := wiretest.Decode(t, upd.GetProperties())["stdout"]; !(v.IsComputed() || v.IsOutput() && !v.OutputValue().Known) {
		t.Errorf("preview of an update with a new logging: stdout = %v, want unknown", v)
	}
}
