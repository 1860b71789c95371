// Package rollback plans a return to an earlier update of a stack. Pulumi has no rollback
// command; the supported way back is to run the program again with the configuration an earlier
// update had. The plan says which config keys change back, which stay and why.
package rollback

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/coulomb-social/inter-hub-deploy/internal/history"
)

// Options describe the project's configuration to the planner.
type Options struct {
	// Namespace is the project's config namespace ("inter-hub"); keys of other namespaces are
	// left as they are.
	Namespace string
	// RevisionKey is the key (without namespace) holding the app revision; the target update
	// must have it.
	RevisionKey string
	// Known reports whether the current program reads a key (without namespace). Keys it does
	// not know are not restored: the program would refuse them.
	Known func(name string) bool
	// KeepCurrent lists keys (without namespace) that keep their current value, with the reason.
	KeepCurrent map[string]string
}

// Change is one config key set back to the target update's value (To nil: removed, so the
// program's default applies again as it did then).
type Change struct {
	Key      string
	From, To *history.ConfigValue
}

// Kept is a key whose current value stays, and why.
type Kept struct {
	Key, Reason string
}

// Plan is what a rollback will do.
type Plan struct {
	Target  *history.Update
	Latest  *history.Update
	Changes []Change
	Kept    []Kept
}

// Revision returns the app revision of the target update.
func (p *Plan) Revision(o Options) string {
	return p.Target.Config[o.Namespace+":"+o.RevisionKey].String()
}

// NewPlan checks that update version can be rolled back to and works out the config changes
// from current (the stack's config now, as `pulumi config --json` prints it).
func NewPlan(updates []history.Update, version int, current map[string]history.ConfigValue, o Options) (*Plan, error) {
	target, ok := history.Find(updates, version)
	if !ok {
		return nil, fmt.Errorf("update %d is not in the stack's history (updates: %s)", version, versions(updates, nil))
	}
	if target.Kind != history.KindUpdate {
		return nil, fmt.Errorf("update %d was a %s, not an update: choose one of the succeeded updates %s",
			version, target.Kind, versions(updates, succeeded))
	}
	if target.Result != history.ResultSucceeded {
		return nil, fmt.Errorf("update %d %s: its configuration did not deploy, so it is no state to return to; choose one of the succeeded updates %s",
			version, describeResult(target.Result), versions(updates, succeeded))
	}
	revKey := o.Namespace + ":" + o.RevisionKey
	if rv, ok := target.Config[revKey]; !ok || rv.Value == nil || *rv.Value == "" {
		return nil, fmt.Errorf("update %d has no %s in its config; it was not made by this program", version, revKey)
	}

	p := &Plan{Target: target, Latest: &updates[0]}
	prefix := o.Namespace + ":"
	keys := map[string]bool{}
	for k := range target.Config {
		keys[k] = true
	}
	for k := range current {
		keys[k] = true
	}
	sorted := make([]string, 0, len(keys))
	for k := range keys {
		sorted = append(sorted, k)
	}
	sort.Strings(sorted)
	for _, k := range sorted {
		then, inThen := target.Config[k]
		now, inNow := current[k]
		if inThen && inNow && then.Equal(now) {
			continue
		}
		name, ours := strings.CutPrefix(k, prefix)
		switch {
		case !ours:
			p.Kept = append(p.Kept, Kept{k, "not a key of this project"})
		case (inThen && then.Secret) || (inNow && now.Secret):
			if inThen && inNow && then.Secret && now.Secret {
				// Ciphertexts are not comparable without decrypting; nothing to say.
				continue
			}
			p.Kept = append(p.Kept, Kept{k, "secret: a rotated credential must not come back"})
		case o.KeepCurrent[name] != "":
			p.Kept = append(p.Kept, Kept{k, o.KeepCurrent[name]})
		case o.Known != nil && !o.Known(name):
			p.Kept = append(p.Kept, Kept{k, "the current program does not read this key"})
		case inThen:
			c := Change{Key: k, To: copyValue(then)}
			if inNow {
				c.From = copyValue(now)
			}
			p.Changes = append(p.Changes, c)
		default:
			p.Changes = append(p.Changes, Change{Key: k, From: copyValue(now)})
		}
	}
	return p, nil
}

func copyValue(v history.ConfigValue) *history.ConfigValue { return &v }

func succeeded(u history.Update) bool {
	return u.Kind == history.KindUpdate && u.Result == history.ResultSucceeded
}

func describeResult(r string) string {
	switch r {
	case history.ResultFailed:
		return "failed"
	case history.ResultInProgress:
		return "never finished (in progress or interrupted)"
	default:
		return "ended " + r
	}
}

func versions(updates []history.Update, keep func(history.Update) bool) string {
	var vs []string
	for _, u := range updates {
		if keep == nil || keep(u) {
			vs = append(vs, fmt.Sprint(u.Version))
		}
	}
	if len(vs) == 0 {
		return "(none)"
	}
	return strings.Join(vs, ", ")
}

// SetAllJSON is the argument of `pulumi config set-all --json` that applies the plan's set
// changes (removals go through `pulumi config rm`).
func (p *Plan) SetAllJSON() (string, bool, error) {
	m := map[string]history.ConfigValue{}
	for _, c := range p.Changes {
		if c.To != nil {
			m[c.Key] = *c.To
		}
	}
	if len(m) == 0 {
		return "", false, nil
	}
	b, err := json.Marshal(m)
	return string(b), true, err
}

// Removals are the keys the plan removes.
func (p *Plan) Removals() []string {
	var out []string
	for _, c := range p.Changes {
		if c.To == nil {
			out = append(out, c.Key)
		}
	}
	return out
}

// Write prints the plan's config part.
func (p *Plan) Write(w io.Writer, o Options) {
	fmt.Fprintf(w, "Rolling back to update %d (%s, %s), app revision %s.\n",
		p.Target.Version, p.Target.StartTime.UTC().Format(time.DateTime+" MST"), p.Target.Result, p.Revision(o))
	if len(p.Changes) == 0 {
		fmt.Fprintln(w, "Config: already as in that update; the update re-applies it.")
	} else {
		fmt.Fprintln(w, "Config changes:")
		for _, c := range p.Changes {
			fmt.Fprintf(w, "  %s: %s -> %s\n", c.Key, showValue(c.From), showValue(c.To))
		}
	}
	if len(p.Kept) > 0 {
		fmt.Fprintln(w, "Kept as they are now:")
		for _, k := range p.Kept {
			fmt.Fprintf(w, "  %s (%s)\n", k.Key, k.Reason)
		}
	}
}

func showValue(v *history.ConfigValue) string {
	if v == nil {
		return "(unset)"
	}
	if v.Secret {
		return "[secret]"
	}
	return fmt.Sprintf("%q", v.String())
}
