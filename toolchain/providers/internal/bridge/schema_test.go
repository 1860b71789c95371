package bridge

import (
	"testing"

	p "github.com/pulumi/pulumi-go-provider"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/property"
)

var testSchema = Schema{
	"name":     {Kind: String},
	"password": {Kind: String, NotInState: true},
	"login":    {Kind: Bool, Default: property.New(false)},
	"limit":    {Kind: Number, Default: property.New(-1.0)},
	"inherit":  {Kind: Bool, Default: property.New(true)},
	"until":    {Kind: String, Default: property.New("infinity")},
	"roles":    {Kind: Set},
	"timeout":  {Kind: Number},
	"owner":    {Kind: String, Computed: true},
	"template": {Kind: String, Computed: true, ForceNew: true},
}

func m(kv ...any) property.Map {
	out := map[string]property.Value{}
	for i := 0; i < len(kv); i += 2 {
		out[kv[i].(string)] = resource.FromResourcePropertyValue(resource.NewPropertyValue(kv[i+1]))
	}
	return property.NewMap(out)
}

func list(s ...string) []any {
	out := []any{}
	for _, e := range s {
		out = append(out, e)
	}
	return out
}

func TestCheckInputsAsTheBridge(t *testing.T) {
	for _, tc := range []struct {
		name       string
		olds, news property.Map
		want       property.Map
	}{{
		name: "new resource: non-falsy defaults filled and listed, falsy ones left out, nulls dropped",
		news: m("name", "app", "timeout", nil),
		want: m("name", "app", "limit", -1.0, "inherit", true, "until", "infinity",
			Defaults, list("inherit", "limit", "until")),
	}, {
		name: "values the program sets are not defaults, even when they equal one",
		news: m("name", "app", "login", false, "inherit", true),
		want: m("name", "app", "login", false, "inherit", true, "limit", -1.0, "until", "infinity",
			Defaults, list("limit", "until")),
	}, {
		name: "old defaults listed in __defaults are kept",
		olds: m("name", "app", "until", "2030-01-01", "limit", 5.0, Defaults, list("until")),
		news: m("name", "app"),
		want: m("name", "app", "until", "2030-01-01", "limit", -1.0, "inherit", true,
			Defaults, list("inherit", "limit", "until")),
	}, {
		name: "old inputs without a __defaults list give every old value as the default, falsy ones too",
		olds: m("name", "app", "login", false, "limit", -1.0, "inherit", true, "until", "infinity"),
		news: m("name", "app"),
		want: m("name", "app", "login", false, "limit", -1.0, "inherit", true, "until", "infinity",
			Defaults, list("inherit", "limit", "login", "until")),
	}} {
		t.Run(tc.name, func(t *testing.T) {
			got := testSchema.CheckInputs(tc.olds, tc.news)
			if !property.New(got).Equals(property.New(tc.want)) {
				t.Errorf("got  %v\nwant %v", got, tc.want)
			}
		})
	}
}

func TestDiffAsSDKv2(t *testing.T) {
	// State as the bridge records it: every attribute set.
	state := m("name", "app", "login", false, "limit", -1.0, "inherit", true, "until", "infinity",
		"roles", list("b", "a"), "timeout", 0.0, "owner", "admin", "template", "template0", "password", "x")
	for _, tc := range []struct {
		name  string
		state property.Map
		news  property.Map
		want  map[string]p.DiffKind
	}{{
		name: "bridge-shaped inputs: no change",
		news: m("name", "app", "limit", -1.0, "inherit", true, "until", "infinity", "roles", list("a", "b"), "password", "x"),
	}, {
		name: "defaults made explicit, falsy ones too: no change",
		news: m("name", "app", "login", false, "limit", -1.0, "inherit", true, "timeout", 0.0,
			"roles", list("a", "b"), "password", "x"),
	}, {
		name:  "state without the default-valued attributes (older plugin): no change",
		state: m("name", "app", "roles", list("a", "b"), "owner", "admin", "template", "template0", "password", "x"),
		news:  m("name", "app", "roles", list("a", "b"), "password", "x"),
	}, {
		name: "rename and new password update in place",
		news: m("name", "app2", "roles", list("a", "b"), "password", "y"),
		want: map[string]p.DiffKind{"name": p.Update, "password": p.Update},
	}, {
		name: "a removed optional attribute without default is a change",
		news: m("name", "app", "roles", list("a", "b")),
		want: map[string]p.DiffKind{"password": p.Delete},
	}, {
		name: "an unset computed attribute keeps the server's value",
		news: m("name", "app", "roles", list("a", "b"), "password", "x", "template", nil),
	}, {
		name: "a changed ForceNew attribute replaces",
		news: m("name", "app", "roles", list("a", "b"), "password", "x", "template", "template1", "login", true),
		want: map[string]p.DiffKind{"template": p.UpdateReplace, "login": p.Update},
	}, {
		name: "a value not known yet is a change",
		news: m("name", "app", "roles", list("a", "b")).Set("password", property.New(property.Computed)),
		want: map[string]p.DiffKind{"password": p.Update},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			st := state
			if tc.state.Len() > 0 {
				st = tc.state
			}
			got := testSchema.Diff(st, tc.news)
			if got.HasChanges != (len(tc.want) > 0) || len(got.DetailedDiff) != len(tc.want) {
				t.Fatalf("diff %v, want %v", got.DetailedDiff, tc.want)
			}
			for k, kind := range tc.want {
				if got.DetailedDiff[k].Kind != kind {
					t.Errorf("%s: %v, want %v", k, got.DetailedDiff[k].Kind, kind)
				}
			}
		})
	}
}

func TestFullStateAndStrip(t *testing.T) {
	got := testSchema.FullState(m("name", "app", "password", "x", "owner", "admin"))
	want := m("name", "app", "password", "x", "owner", "admin", "login", false, "limit", -1.0, "inherit", true,
		"until", "infinity", "roles", list(), "timeout", 0.0, "template", "")
	if !property.New(got).Equals(property.New(want)) {
		t.Errorf("FullState:\ngot  %v\nwant %v", got, want)
	}
	stripped := Strip(m("name", "app", ID, "app", Meta, "{}", RawStateDelta, map[string]any{}, Defaults, list()))
	if !property.New(stripped).Equals(property.New(m("name", "app"))) {
		t.Errorf("Strip left %v", stripped)
	}
}
