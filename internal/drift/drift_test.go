package drift

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/auto/events"
	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
)

// Recorded by testdata/record.sh with the real CLI (--event-log, the stream the Automation API
// reads) and the postgresql plugin: of three roles, one was altered (connection limit, login)
// and one dropped outside Pulumi.
func load(t *testing.T, name string) []events.EngineEvent {
	t.Helper()
	f, err := os.Open("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var evs []events.EngineEvent
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 16<<20)
	for sc.Scan() {
		var e apitype.EngineEvent
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatal(err)
		}
		evs = append(evs, events.EngineEvent{EngineEvent: e})
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return evs
}

func TestDriftNamesChangedAndDeletedResources(t *testing.T) {
	rs := FromEvents(load(t, "refresh-drift.jsonl"))
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
	rs := FromEvents(load(t, "refresh-nodrift.jsonl"))
	if len(rs) != 0 {
		t.Fatalf("want no drift, got %+v", rs)
	}
	var out bytes.Buffer
	Write(&out, "demo", rs)
	if !strings.HasPrefix(out.String(), "no drift") {
		t.Fatal(out.String())
	}
}

// Only refresh steps count, and an update only with a detailed diff, as the CLI's JSON display
// reads a refresh.
func TestFromEventsReadsRefreshStepsOnly(t *testing.T) {
	const a, b = "urn:pulumi:demo::prog::random:index/randomId:RandomId::a", "urn:pulumi:demo::prog::random:index/randomId:RandomId::b"
	step := func(op apitype.OpType, u string, dd map[string]apitype.PropertyDiff) apitype.StepEventMetadata {
		return apitype.StepEventMetadata{Op: op, URN: u, DetailedDiff: dd}
	}
	pre := func(m apitype.StepEventMetadata) events.EngineEvent {
		return events.EngineEvent{EngineEvent: apitype.EngineEvent{ResourcePreEvent: &apitype.ResourcePreEvent{Metadata: m}}}
	}
	outputs := func(m apitype.StepEventMetadata) events.EngineEvent {
		return events.EngineEvent{EngineEvent: apitype.EngineEvent{ResOutputsEvent: &apitype.ResOutputsEvent{Metadata: m}}}
	}
	changed := map[string]apitype.PropertyDiff{"byteLength": {Kind: apitype.DiffUpdate}}
	evs := []events.EngineEvent{
		// a: an update of a normal preview, not a refresh.
		pre(step(apitype.OpUpdate, a, changed)), outputs(step(apitype.OpUpdate, a, changed)),
		// b: refreshed, ends as an update without a detailed diff: found as recorded.
		pre(step(apitype.OpRefresh, b, nil)), outputs(step(apitype.OpUpdate, b, nil)),
	}
	if rs := FromEvents(evs); len(rs) != 0 {
		t.Fatalf("want no drift, got %+v", rs)
	}
	evs = append(evs, pre(step(apitype.OpRefresh, a, nil)), outputs(step(apitype.OpUpdate, a, changed)))
	rs := FromEvents(evs)
	if len(rs) != 1 || rs[0].Name != "a" || strings.Join(rs[0].Keys, ",") != "byteLength" {
		t.Fatalf("want a changed in byteLength, got %+v", rs)
	}
}
