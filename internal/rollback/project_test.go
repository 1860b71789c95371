package rollback

import (
	"testing"

	"github.com/coulomb-social/inter-hub-deploy/internal/history"
	"github.com/coulomb-social/inter-hub-deploy/stacks"
)

// The keys rollback treats specially must be the program's keys.
func TestProjectKeysAreStacksKeys(t *testing.T) {
	names := map[string]bool{}
	for _, k := range stacks.Keys {
		names[k.Name] = true
	}
	for _, k := range append(append([]string{revisionKey}, rotationKeys...), accountUserKeys...) {
		if !names[k] {
			t.Errorf("%s is not in stacks.Keys", k)
		}
	}
	o := ForProject("inter-hub")
	if !o.Known("app.replicas") || o.Known("no.such.key") {
		t.Error("Known does not follow stacks.Keys")
	}
}

// A rollback to an update from before the pull account keeps the account, user and password.
func TestProjectRollbackKeepsThePullAccount(t *testing.T) {
	str := func(s string) *string { return &s }
	then := map[string]history.ConfigValue{"inter-hub:app.revision": {Value: str("v1")}}
	now := map[string]history.ConfigValue{
		"inter-hub:app.revision":          {Value: str("v2")},
		"inter-hub:registry.pullUsername": {Value: str("interhub-pull")},
		"inter-hub:registry.pullPassword": {Value: str("v1:ciphertext"), Secret: true},
	}
	updates := []history.Update{
		{Version: 2, Kind: history.KindUpdate, Result: history.ResultSucceeded, Config: now},
		{Version: 1, Kind: history.KindUpdate, Result: history.ResultSucceeded, Config: then},
	}
	p, err := NewPlan(updates, 1, now, ForProject("inter-hub"))
	if err != nil {
		t.Fatal(err)
	}
	if removed := p.Removals(); len(removed) != 0 {
		t.Errorf("the rollback removes %v", removed)
	}
	kept := map[string]bool{}
	for _, k := range p.Kept {
		kept[k.Key] = true
	}
	if !kept["inter-hub:registry.pullUsername"] || !kept["inter-hub:registry.pullPassword"] {
		t.Errorf("kept %+v, want the pull user and password", p.Kept)
	}
}
