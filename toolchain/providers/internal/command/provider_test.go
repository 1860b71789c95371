package command_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"testing"

	"github.com/pulumi/pulumi-go-provider/infer"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	rpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"golang.org/x/crypto/ssh"
	"google.golang.org/protobuf/types/known/structpb"

	"interhub/toolchain/providers/internal/command"
	"interhub/toolchain/providers/internal/command/local"
	"interhub/toolchain/providers/internal/command/remote"
	"interhub/toolchain/providers/internal/wiretest"
)

const (
	localURN  = "urn:pulumi:test::proj::command:local:Command::c"
	remoteURN = "urn:pulumi:test::proj::command:remote:Command::c"
)

func server(t *testing.T) rpc.ResourceProviderServer {
	t.Helper()
	prov, err := command.Provider(infer.Resource(&remote.Command{}), infer.Resource(&local.Command{}))
	if err != nil {
		t.Fatal(err)
	}
	return wiretest.Server(t, "command", prov)
}

// privateKey is an SSH private key, a value that passes the check of a
// connection's privateKey.
func privateKey(t *testing.T) string {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	block, err := ssh.MarshalPrivateKey(priv, "")
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(block))
}

func obj(fields map[string]*structpb.Value) *structpb.Value {
	return structpb.NewStructValue(&structpb.Struct{Fields: fields})
}

func str(s string) *structpb.Value { return structpb.NewStringValue(s) }

// inputs are a command's inputs with pw in its triggers, environment and
// stdin, and for a remote command also as the private key.
func inputs(remote bool, pw *structpb.Value) *structpb.Struct {
	f := map[string]*structpb.Value{
		"create":      str("echo done"),
		"triggers":    structpb.NewListValue(&structpb.ListValue{Values: []*structpb.Value{str("app"), pw}}),
		"environment": obj(map[string]*structpb.Value{"SECRETVAR": pw, "ROLE": str("app")}),
		"stdin":       pw,
	}
	if remote {
		f["connection"] = obj(map[string]*structpb.Value{"host": str("127.0.0.1"), "privateKey": pw})
	}
	return &structpb.Struct{Fields: f}
}

// An unknown secret (the result of a resource created in the same preview)
// stays an unknown secret through Check and a preview Create, and every
// response is one the engine accepts.
func TestUnknownSecretInputs(t *testing.T) {
	srv := server(t)
	for form, pw := range wiretest.UnknownSecrets() {
		for _, c := range []struct {
			urn    string
			remote bool
		}{{localURN, false}, {remoteURN, true}} {
			t.Run(form+" "+c.urn, func(t *testing.T) {
				checked := wiretest.Check(t, srv, c.urn, inputs(c.remote, pw))
				paths := [][]any{{"triggers", 1}, {"environment", "SECRETVAR"}, {"stdin"}}
				if c.remote {
					paths = append(paths, []any{"connection", "privateKey"})
				}
				for _, path := range paths {
					if v := wiretest.At(checked, path...); !wiretest.UnknownSecret(v) {
						t.Errorf("checked %v = %v, want an unknown secret", path, v)
					}
				}
				if v := wiretest.At(checked, "triggers", 0); !v.IsString() || v.StringValue() != "app" {
					t.Errorf("checked triggers[0] = %v", v)
				}
				if v := wiretest.At(checked, "environment", "ROLE"); !v.IsString() || v.StringValue() != "app" {
					t.Errorf("checked environment.ROLE = %v", v)
				}
				created, err := srv.Create(context.Background(), &rpc.CreateRequest{
					Urn: c.urn, Properties: wiretest.Marshal(t, checked), Preview: true,
				})
				if err != nil {
					t.Fatalf("preview Create: %v", err)
				}
				out := wiretest.Decode(t, created.GetProperties())
				// pulumi-command wires no dependencies, so pulumi-go-provider's
				// default applies: every output unknown in a preview, and
				// secret only when an input of the same name is.
				if v := wiretest.At(out, "stdout"); !(v.IsComputed() || v.IsOutput() && !v.OutputValue().Known) || wiretest.UnknownSecret(v) {
					t.Errorf("preview stdout = %v, want unknown and not secret", v)
				}
			})
		}
	}
}

// A known secret (the same password once created) stays known and secret, so
// an update with nothing new has no diff.
func TestKnownSecretInputs(t *testing.T) {
	srv := server(t)
	checked := wiretest.Check(t, srv, localURN, inputs(false, wiretest.Secret(str("pw"))))
	for _, path := range [][]any{{"triggers"}, {"environment"}, {"stdin"}} {
		if v := wiretest.At(checked, path...); !v.ContainsSecrets() {
			t.Errorf("checked %v = %v, not secret", path, v)
		}
	}
	if v := wiretest.At(checked, "triggers", 1); !v.IsSecret() || v.SecretValue().Element != resource.NewProperty("pw") {
		t.Errorf("checked triggers[1] = %v, want secret pw", v)
	}
	s := wiretest.Marshal(t, checked)
	diff, err := srv.Diff(context.Background(), &rpc.DiffRequest{Urn: localURN, Id: "c", Olds: s, OldInputs: s, News: s})
	if err != nil {
		t.Fatal(err)
	}
	if diff.GetChanges() != rpc.DiffResponse_DIFF_NONE {
		t.Fatalf("diff of equal inputs: %v", diff)
	}
}

// A secret that is about to change shows as a change of each input it feeds
// (the SDK replaces on a triggers change itself, through replaceOnChanges).
func TestUnknownSecretInputsDiff(t *testing.T) {
	srv := server(t)
	for _, c := range []struct {
		urn    string
		remote bool
	}{{localURN, false}, {remoteURN, true}} {
		old := wiretest.Marshal(t, wiretest.Check(t, srv, c.urn, inputs(c.remote, wiretest.Secret(str(privateKey(t))))))
		for form, pw := range wiretest.UnknownSecrets() {
			news := wiretest.Marshal(t, wiretest.Check(t, srv, c.urn, inputs(c.remote, pw)))
			d, err := srv.Diff(context.Background(), &rpc.DiffRequest{Urn: c.urn, Id: "c", Olds: old, OldInputs: old, News: news})
			if err != nil {
				t.Fatal(err)
			}
			want := []string{"triggers[1]", "environment.SECRETVAR", "stdin"}
			if c.remote {
				want = append(want, "connection") // secret as a whole, so not itemised
			}
			for _, k := range want {
				if _, ok := d.GetDetailedDiff()[k]; !ok {
					t.Errorf("%s %s: diff %v does not show %s", form, c.urn, d.GetDetailedDiff(), k)
				}
			}
		}
	}
}
