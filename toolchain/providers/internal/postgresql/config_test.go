package postgresql

import (
	"context"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	rpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/protobuf/types/known/structpb"

	"interhub/toolchain/providers/internal/bridge"
	"interhub/toolchain/providers/internal/wiretest"
)

const providerURN = "urn:pulumi:test::proj::pulumi:providers:postgresql::pg"

// The provider configuration as the bridge's CheckConfig returns it: what the
// program set, values JSON-encoded (pulumi-terraform-bridge's ConfigEncoding),
// the password secret, no defaults and no marks of pulumi-go-provider.
func officialConfig(port string) resource.PropertyMap {
	return resource.PropertyMap{
		"host": resource.NewProperty("127.0.0.1"), "port": resource.NewProperty(port),
		"username": resource.NewProperty("admin"), "password": resource.MakeSecret(resource.NewProperty("pw")),
		"database": resource.NewProperty("postgres"), "sslmode": resource.NewProperty("disable"),
		"superuser": resource.NewProperty("false"), "connectTimeout": resource.NewProperty("1"),
		"version": resource.NewProperty("3.18.0"),
	}
}

func TestConfigInTheBridgesShape(t *testing.T) {
	prov, err := Provider()
	if err != nil {
		t.Fatal(err)
	}
	srv := bridge.WithoutFrameworkVersion(wiretest.Server(t, "postgresql", prov))
	ctx := context.Background()
	official := officialConfig("1")

	// The program's values, typed as an SDK may send them, come back encoded.
	sent := official.Copy()
	sent["port"], sent["superuser"], sent["connectTimeout"] = resource.NewProperty(1.0), resource.NewProperty(false), resource.NewProperty(1.0)
	resp, err := srv.CheckConfig(ctx, &rpc.CheckRequest{Urn: providerURN, News: wiretest.Marshal(t, sent)})
	if err != nil {
		t.Fatal(err)
	}
	checked := wiretest.Decode(t, resp.GetInputs())
	if !checked.DeepEquals(official) {
		t.Errorf("CheckConfig returned\n%v\nthe official plugin\n%v", checked, official)
	}

	// No provider update between the official configuration and this one,
	// nor from what this plugin used to record (typed, defaults, markers).
	before := official.Copy()
	before["port"], before["superuser"], before["connectTimeout"] = resource.NewProperty(1.0), resource.NewProperty(false), resource.NewProperty(1.0)
	before["maxConnections"], before["scheme"] = resource.NewProperty(20.0), resource.NewProperty("postgres")
	before["__pulumi-go-provider-infer"], before[bridge.FrameworkVersionKey] = resource.NewProperty(true), resource.NewProperty("1.3.0")
	for name, olds := range map[string]resource.PropertyMap{"official": official, "older offline": before} {
		diff, err := srv.DiffConfig(ctx, &rpc.DiffRequest{Urn: providerURN, Olds: wiretest.Marshal(t, olds),
			OldInputs: wiretest.Marshal(t, olds), News: resp.GetInputs()})
		if err != nil {
			t.Fatal(err)
		}
		if diff.GetChanges() == rpc.DiffResponse_DIFF_SOME {
			t.Errorf("%s configuration: DiffConfig %v, want no change", name, diff.GetDetailedDiff())
		}
	}
	rotated := official.Copy()
	rotated["password"] = resource.MakeSecret(resource.NewProperty("new"))
	diff, err := srv.DiffConfig(ctx, &rpc.DiffRequest{Urn: providerURN, Olds: wiretest.Marshal(t, official),
		OldInputs: wiretest.Marshal(t, official), News: wiretest.Marshal(t, rotated)})
	if err != nil {
		t.Fatal(err)
	}
	if diff.GetChanges() != rpc.DiffResponse_DIFF_SOME || len(diff.GetReplaces()) > 0 {
		t.Errorf("a new admin password: %v, want an in-place update", diff)
	}

	// Configure reads the encoded values: the role's Read goes to 127.0.0.1:1.
	if _, err := srv.Configure(ctx, &rpc.ConfigureRequest{Args: resp.GetInputs(), AcceptSecrets: true,
		SendsOldInputs: true, SendsOldInputsToDelete: true}); err != nil {
		t.Fatal(err)
	}
	state, _ := structpb.NewStruct(map[string]any{"name": "app"})
	_, err = srv.Read(ctx, &rpc.ReadRequest{Id: "app", Urn: "urn:pulumi:test::proj::postgresql:index/role:Role::r", Properties: state})
	if err == nil || !strings.Contains(err.Error(), "127.0.0.1:1") {
		t.Errorf("Read with port \"1\": %v, want an error naming 127.0.0.1:1", err)
	}
}
