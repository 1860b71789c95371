package drift

import (
	"bytes"
	"os"
	"strings"
	"testing"

	"github.com/coulomb-social/inter-hub-deploy/internal/previewsummary"
)

// Recorded by testdata/record.sh with the real CLI and the postgresql plugin: of three roles, one
// was altered (connection limit, login) and one dropped outside Pulumi.
func load(t *testing.T, name string) *previewsummary.Preview {
	t.Helper()
	f, err := os.Open("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	p, err := previewsummary.Parse(f)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestDriftNamesChangedAndDeletedResources(t *testing.T) {
	rs := Find(load(t, "refresh-drift.json"))
	if len(rs) != 2 {
		t.Fatalf("want 2 drifted resources, got %+v", rs)
	}
	changed, dropped := rs[0], rs[1]
	if changed.Name != "drift_rec_changed" || changed.Op != "update" || changed.Type != "postgresql:index/role:Role" ||
		strings.Join(changed.Keys, ",") != "connectionLimit,login" {
		t.Errorf("changed role: %+v", changed)
	}
	if dropped.Name != "drift_rec_dropped" || dropped.Op != "delete" {
		t.Errorf("dropped role: %+v", dropped)
	}
	var out bytes.Buffer
	Write(&out, "demo", rs)
	for _, want := range []string{
		"DRIFT: 2 resource(s) of stack demo changed outside Pulumi:",
		"postgresql:index/role:Role drift_rec_changed (changed: connectionLimit, login)",
		"postgresql:index/role:Role drift_rec_dropped (deleted outside Pulumi)",
		"urn:pulumi:demo::prog::postgresql:index/role:Role::drift_rec_dropped",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	if strings.Contains(out.String(), "drift_rec_same") {
		t.Error("an unchanged role is reported")
	}
}

func TestNoDrift(t *testing.T) {
	rs := Find(load(t, "refresh-nodrift.json"))
	if len(rs) != 0 {
		t.Fatalf("want no drift, got %+v", rs)
	}
	var out bytes.Buffer
	Write(&out, "demo", rs)
	if !strings.HasPrefix(out.String(), "no drift") {
		t.Fatal(out.String())
	}
}
