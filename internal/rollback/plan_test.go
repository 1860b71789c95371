package rollback

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/coulomb-social/inter-hub-deploy/internal/history"
)

// Recorded with the real CLI by internal/history/testdata/record.sh.
const testdata = "../history/testdata"

func load(t *testing.T) ([]history.Update, map[string]history.ConfigValue) {
	t.Helper()
	f, err := os.Open(filepath.Join(testdata, "history-file-backend.json"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	us, err := history.Parse(f)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join(testdata, "config-now.json"))
	if err != nil {
		t.Fatal(err)
	}
	var current map[string]history.ConfigValue
	if err := json.Unmarshal(raw, &current); err != nil {
		t.Fatal(err)
	}
	return us, current
}

func opts() Options {
	known := map[string]bool{"app.revision": true, "app.replicas": true, "app.migrateCommand": true,
		"postgres.adminPassword": true, "session.rotation": true}
	return Options{
		Namespace: "inter-hub", RevisionKey: "app.revision",
		Known:       func(k string) bool { return known[k] },
		KeepCurrent: map[string]string{"session.rotation": "rotation counter"},
	}
}

func TestPlanBackToTheFirstUpdate(t *testing.T) {
	us, current := load(t)
	p, err := NewPlan(us, 1, current, opts())
	if err != nil {
		t.Fatal(err)
	}
	if p.Revision(opts()) != "v1" || p.Target.Version != 1 || p.Latest.Version != 5 {
		t.Fatalf("target %d revision %q latest %d", p.Target.Version, p.Revision(opts()), p.Latest.Version)
	}
	js, ok, err := p.SetAllJSON()
	if err != nil || !ok {
		t.Fatal(ok, err)
	}
	var set map[string]history.ConfigValue
	if err := json.Unmarshal([]byte(js), &set); err != nil {
		t.Fatal(err)
	}
	if len(set) != 1 || set["inter-hub:app.revision"].String() != "v1" || set["inter-hub:app.revision"].Secret {
		t.Fatalf("set-all JSON %s", js)
	}
	// Keys set after update 1 go back to unset (the program's defaults, as then).
	if got := strings.Join(p.Removals(), " "); got != "inter-hub:app.migrateCommand inter-hub:app.replicas" {
		t.Fatalf("removals %q", got)
	}
	if len(p.Kept) != 1 || p.Kept[0].Key != "inter-hub:postgres.adminPassword" || !strings.Contains(p.Kept[0].Reason, "secret") {
		t.Fatalf("kept %+v", p.Kept)
	}
	var out bytes.Buffer
	p.Write(&out, opts())
	for _, want := range []string{
		"Rolling back to update 1", "app revision v1",
		`inter-hub:app.revision: "v3" -> "v1"`, `inter-hub:app.replicas: "2" -> (unset)`,
		"inter-hub:postgres.adminPassword (secret",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("plan lacks %q:\n%s", want, out.String())
		}
	}
}

func TestPlanRefusesFailedRefreshAndMissingUpdates(t *testing.T) {
	us, current := load(t)
	for _, c := range []struct {
		version int
		want    string
	}{
		{3, "update 3 failed: its configuration did not deploy, so it is no state to return to; choose one of the succeeded updates 5, 2, 1"},
		{4, "update 4 was a refresh, not an update: choose one of the succeeded updates 5, 2, 1"},
		{9, "update 9 is not in the stack's history (updates: 5, 4, 3, 2, 1)"},
		{0, "update 0 is not in the stack's history"},
	} {
		_, err := NewPlan(us, c.version, current, opts())
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("update %d: got %v, want %q", c.version, err, c.want)
		}
	}
	us[0].Result = history.ResultInProgress
	if _, err := NewPlan(us, 5, current, opts()); err == nil || !strings.Contains(err.Error(), "never finished") {
		t.Errorf("an interrupted update must be refused: %v", err)
	}
}

func TestPlanToTheLatestUpdateChangesNothing(t *testing.T) {
	us, current := load(t)
	p, err := NewPlan(us, 5, current, opts())
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Changes) != 0 || len(p.Kept) != 0 {
		t.Fatalf("changes %+v kept %+v", p.Changes, p.Kept)
	}
	if _, ok, _ := p.SetAllJSON(); ok {
		t.Fatal("nothing to set")
	}
}

func TestPlanKeepsRotationCountersUnknownAndForeignKeys(t *testing.T) {
	us, current := load(t)
	v := func(s string) history.ConfigValue { return history.ConfigValue{Value: &s} }
	us[3].Config["inter-hub:session.rotation"] = v("0")
	current["inter-hub:session.rotation"] = v("1")
	us[3].Config["inter-hub:retired.key"] = v("x")
	current["kubernetes:context"] = v("other")
	p, err := NewPlan(us, 2, current, opts())
	if err != nil {
		t.Fatal(err)
	}
	reasons := map[string]string{}
	for _, k := range p.Kept {
		reasons[k.Key] = k.Reason
	}
	if reasons["inter-hub:session.rotation"] != "rotation counter" ||
		!strings.Contains(reasons["inter-hub:retired.key"], "does not read") ||
		!strings.Contains(reasons["kubernetes:context"], "not a key of this project") {
		t.Fatalf("kept %+v", p.Kept)
	}
	for _, c := range p.Changes {
		if c.Key == "inter-hub:session.rotation" || c.Key == "inter-hub:retired.key" || c.Key == "kubernetes:context" {
			t.Fatalf("%s must not change", c.Key)
		}
	}
	if p.Revision(opts()) != "v2" {
		t.Fatal(p.Revision(opts()))
	}
}

func TestPlanNeedsTheRevisionKey(t *testing.T) {
	us, current := load(t)
	delete(us[4].Config, "inter-hub:app.revision")
	if _, err := NewPlan(us, 1, current, opts()); err == nil || !strings.Contains(err.Error(), "has no inter-hub:app.revision") {
		t.Fatalf("got %v", err)
	}
}

func TestWriteList(t *testing.T) {
	us, _ := load(t)
	img := "registry.test/inter-hub@sha256:" + strings.Repeat("ab", 32)
	us[0].Outputs = map[string]any{ImageOutput: img}
	var out bytes.Buffer
	WriteList(&out, us, opts())
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 6 {
		t.Fatalf("want a header and 5 rows:\n%s", out.String())
	}
	for _, want := range []string{"UPDATE", "APP REVISION", "IMAGE DIGEST", "PROGRAM COMMIT"} {
		if !strings.Contains(lines[0], want) {
			t.Errorf("header lacks %s: %s", want, lines[0])
		}
	}
	f := strings.Fields(lines[1])
	if f[0] != "5" || f[3] != "update" || f[4] != "succeeded" || f[5] != "v3" || f[6] != "sha256:"+strings.Repeat("ab", 32) ||
		!strings.HasSuffix(f[7], "+dirty") || len(strings.TrimSuffix(f[7], "+dirty")) != 12 {
		t.Errorf("row of update 5: %q", lines[1])
	}
	if f := strings.Fields(lines[3]); f[0] != "3" || f[4] != "failed" || f[6] != "-" {
		t.Errorf("row of update 3: %q", lines[3])
	}
}
