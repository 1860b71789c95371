package random

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"sort"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	rpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"

	"interhub/toolchain/providers/internal/wiretest"
)

// recorded is one resource's Check and Create as the official plugin
// answered them (testdata/README.md).
type recorded struct {
	urn                        string
	news, checked, createState *structpb.Struct
	createID                   string
}

func loadRecorded(t *testing.T, file string) recorded {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var rec recorded
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var line struct {
			Method   string          `json:"method"`
			Request  json.RawMessage `json:"request"`
			Response json.RawMessage `json:"response"`
		}
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			t.Fatal(err)
		}
		switch {
		case strings.HasSuffix(line.Method, "/Check"):
			var req rpc.CheckRequest
			var resp rpc.CheckResponse
			unmarshal(t, line.Request, &req)
			unmarshal(t, line.Response, &resp)
			rec.urn, rec.news, rec.checked = req.GetUrn(), req.GetNews(), resp.GetInputs()
		case strings.HasSuffix(line.Method, "/Create"):
			var resp rpc.CreateResponse
			unmarshal(t, line.Response, &resp)
			rec.createID, rec.createState = resp.GetId(), resp.GetProperties()
		}
	}
	if rec.checked == nil || rec.createState == nil {
		t.Fatalf("%s: no Check or Create recorded", file)
	}
	return rec
}

func unmarshal(t *testing.T, b []byte, m proto.Message) {
	t.Helper()
	if err := (protojson.UnmarshalOptions{DiscardUnknown: true}).Unmarshal(b, m); err != nil {
		t.Fatal(err)
	}
}

func keys(m resource.PropertyMap) []string {
	var out []string
	for k := range m {
		out = append(out, string(k))
	}
	sort.Strings(out)
	return out
}

func configured(t *testing.T) rpc.ResourceProviderServer {
	t.Helper()
	prov, err := Provider()
	if err != nil {
		t.Fatal(err)
	}
	srv := wiretest.Server(t, "random", prov)
	if _, err := srv.Configure(context.Background(), &rpc.ConfigureRequest{
		Args: &structpb.Struct{}, AcceptSecrets: true, SendsOldInputs: true, SendsOldInputsToDelete: true,
	}); err != nil {
		t.Fatal(err)
	}
	return srv
}

// officialDelta is the raw state delta pulumi-terraform-bridge
// (pkg/tfbridge/rawstate.go) writes for state whose nullKeys are null in
// Terraform (absent from the Pulumi state: a secret "replace" with a raw
// null) and whose mapKeys hold maps (a map marker).
func officialDelta(nullKeys, mapKeys []string) resource.PropertyValue {
	ps := resource.PropertyMap{}
	for _, k := range nullKeys {
		ps[resource.PropertyKey(k)] = resource.MakeSecret(resource.NewProperty(resource.PropertyMap{
			"replace": resource.NewProperty(resource.PropertyMap{"raw": resource.NewNullProperty()}),
		}))
	}
	for _, k := range mapKeys {
		ps[resource.PropertyKey(k)] = resource.NewPropertyValue(map[string]any{"map": map[string]any{}})
	}
	obj := resource.PropertyMap{}
	if len(ps) > 0 {
		obj["ps"] = resource.NewProperty(ps)
	}
	return resource.NewProperty(resource.PropertyMap{"obj": resource.NewProperty(obj)})
}

// officialState is the recorded state as pulumi-random >= 4.18 writes it,
// with the raw state delta for a password without keepers and
// overrideSpecial.
func officialState(t *testing.T, rec recorded) *structpb.Struct {
	t.Helper()
	m := wiretest.Decode(t, rec.createState)
	m["__pulumi_raw_state_delta"] = officialDelta([]string{"keepers", "overrideSpecial"}, nil)
	return wiretest.Marshal(t, m)
}

// sameState compares states as the engine stores them from a
// pulumi-go-provider plugin, whose gRPC layer drops null values.
func sameState(a, b resource.PropertyMap) bool {
	return dropNulls(resource.NewProperty(a)).DeepEquals(dropNulls(resource.NewProperty(b)))
}

func dropNulls(v resource.PropertyValue) resource.PropertyValue {
	switch {
	case v.IsSecret():
		return resource.MakeSecret(dropNulls(v.SecretValue().Element))
	case v.IsObject():
		out := resource.PropertyMap{}
		for k, e := range v.ObjectValue() {
			if !e.IsNull() {
				out[k] = dropNulls(e)
			}
		}
		return resource.NewProperty(out)
	case v.IsArray():
		var out []resource.PropertyValue
		for _, e := range v.ArrayValue() {
			out = append(out, dropNulls(e))
		}
		return resource.NewProperty(out)
	}
	return v
}

// A stack the official plugin wrote moves to this one without a change:
// the same checked inputs, no diff, and refresh, update and delete read its
// state (reserved keys included).
func TestOfficialPasswordState(t *testing.T) {
	rec := loadRecorded(t, "testdata/randompassword-4.16.0-grpc.jsonl")
	srv := configured(t)
	ctx := context.Background()

	checked := wiretest.Check(t, srv, rec.urn, rec.news)
	if want := wiretest.Decode(t, rec.checked); !checked.DeepEquals(want) {
		t.Fatalf("Check returned\n%v\nthe official plugin\n%v", checked, want)
	}
	state := officialState(t, rec)
	diff, err := srv.Diff(ctx, &rpc.DiffRequest{Id: "none", Urn: rec.urn, Olds: state, News: wiretest.Marshal(t, checked), OldInputs: rec.checked})
	if err != nil {
		t.Fatal(err)
	}
	if diff.GetChanges() == rpc.DiffResponse_DIFF_SOME || len(diff.GetReplaces()) > 0 {
		t.Fatalf("official state against the same program: %v", diff)
	}

	read, err := srv.Read(ctx, &rpc.ReadRequest{Id: "none", Urn: rec.urn, Properties: state, Inputs: rec.checked})
	if err != nil {
		t.Fatalf("refresh of official state: %v", err)
	}
	official := wiretest.Decode(t, state)
	if got := wiretest.Decode(t, read.GetProperties()); !sameState(got, official) {
		t.Errorf("refresh changed the state:\n%v\nwas\n%v", got, official)
	}
	if got := wiretest.Decode(t, read.GetInputs()); !got.DeepEquals(wiretest.Decode(t, rec.checked)) {
		t.Errorf("refresh changed the inputs: %v", got)
	}

	// keepers null -> {} is an in-place update that keeps the password.
	news := checked.Copy()
	news["keepers"] = resource.NewObjectProperty(resource.PropertyMap{})
	diff, err = srv.Diff(ctx, &rpc.DiffRequest{Id: "none", Urn: rec.urn, Olds: state, News: wiretest.Marshal(t, news), OldInputs: rec.checked})
	if err != nil {
		t.Fatal(err)
	}
	if diff.GetChanges() != rpc.DiffResponse_DIFF_SOME || len(diff.GetReplaces()) > 0 {
		t.Fatalf("keepers null -> {}: %v, want an update", diff)
	}
	upd, err := srv.Update(ctx, &rpc.UpdateRequest{Id: "none", Urn: rec.urn, Olds: state, News: wiretest.Marshal(t, news), OldInputs: rec.checked})
	if err != nil {
		t.Fatalf("update of official state: %v", err)
	}
	out := wiretest.Decode(t, upd.GetProperties())
	if !out["result"].DeepEquals(official["result"]) || !out["bcryptHash"].DeepEquals(official["bcryptHash"]) {
		t.Error("the update changed the password")
	}
	delta := officialDelta([]string{"overrideSpecial"}, []string{"keepers"})
	if !sameState(resource.PropertyMap{"d": out["__pulumi_raw_state_delta"]}, resource.PropertyMap{"d": delta}) || out["id"].StringValue() != "none" ||
		out["__meta"].StringValue() != passwordMeta {
		t.Errorf("updated state lacks what the official plugin records: %v", out)
	}

	if _, err := srv.Delete(ctx, &rpc.DeleteRequest{Id: "none", Urn: rec.urn, Properties: state, OldInputs: rec.checked}); err != nil {
		t.Fatalf("delete of official state: %v", err)
	}
}

// What this plugin creates has the official plugin's keys (plus the raw
// state delta pulumi-random has written since 4.18), secret where the
// official ones are.
func TestCreatedStateHasTheOfficialShape(t *testing.T) {
	for _, file := range []string{"testdata/randompassword-4.16.0-grpc.jsonl", "testdata/randomid-4.16.0-grpc.jsonl"} {
		rec := loadRecorded(t, file)
		srv := configured(t)
		checked := wiretest.Check(t, srv, rec.urn, rec.news)
		resp, err := srv.Create(context.Background(), &rpc.CreateRequest{Urn: rec.urn, Properties: wiretest.Marshal(t, checked)})
		if err != nil {
			t.Fatal(err)
		}
		got, want := wiretest.Decode(t, resp.GetProperties()), wiretest.Decode(t, rec.createState)
		nullable := []string{"keepers", "overrideSpecial"} // unset in the recordings
		if strings.Contains(file, "randomid") {
			nullable = []string{"keepers", "prefix"}
		}
		want["__pulumi_raw_state_delta"] = officialDelta(nullable, nil)
		if g, w := strings.Join(keys(got), " "), strings.Join(keys(want), " "); g != w {
			t.Errorf("%s: state keys\n%s\nofficial\n%s", file, g, w)
		}
		for k, v := range want {
			if v.IsSecret() != got[k].IsSecret() {
				t.Errorf("%s: %s secret %v, official %v", file, k, got[k].IsSecret(), v.IsSecret())
			}
			if !v.IsSecret() && k != "id" && k != "b64Std" && k != "b64Url" && k != "dec" && k != "hex" &&
				!sameState(resource.PropertyMap{"v": v}, resource.PropertyMap{"v": got[k]}) {
				t.Errorf("%s: %s = %v, official %v", file, k, got[k], v)
			}
		}
		if strings.Contains(file, "randomid") && got["id"].StringValue() != resp.GetId() {
			t.Errorf("RandomId id output %v, ID %s", got["id"], resp.GetId())
		}
	}
}
