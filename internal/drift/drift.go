// Package drift previews a refresh of a stack through the Automation API and names the
// resources whose real state no longer matches Pulumi's state. A refresh preview writes
// nothing, unlike `refresh --yes` or `refresh --expect-no-changes`, which both save the
// refreshed state.
package drift

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/events"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optrefresh"
	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/urn"
)

// Resource is one drifted resource.
type Resource struct {
	URN  string
	Type string
	Name string
	// Op is "update" (changed outside Pulumi) or "delete" (gone outside Pulumi).
	Op string
	// Keys are the properties that differ (empty for a deleted resource).
	Keys []string
}

// Check previews a refresh of st with the config in configFile ("" for the stack's own file)
// and returns the drifted resources. An error means the drift is unknown.
func Check(ctx context.Context, st auto.Stack, configFile string) ([]Resource, error) {
	ch := make(chan events.EngineEvent)
	var evs []events.EngineEvent
	done := make(chan struct{})
	go func() {
		defer close(done)
		for e := range ch {
			evs = append(evs, e)
		}
	}()
	opts := []optrefresh.Option{optrefresh.EventStreams(ch)}
	if configFile != "" {
		opts = append(opts, optrefresh.ConfigFile(configFile))
	}
	_, err := st.PreviewRefresh(ctx, opts...)
	<-done
	if err != nil {
		return nil, fmt.Errorf("the refresh preview of %s failed; drift unknown: %w", st.Name(), err)
	}
	return FromEvents(evs), nil
}

// FromEvents returns the drifted resources of a refresh preview's engine events, sorted by URN.
// As the CLI's JSON display reads them (pkg/backend/display/json.go): a resource whose refresh
// step ends in an update with a detailed diff changed, one whose refresh ends in a delete is
// gone; any other refresh found it as recorded.
func FromEvents(evs []events.EngineEvent) []Resource {
	refreshed := map[string]bool{}
	found := map[string]Resource{}
	for _, e := range evs {
		if pre := e.ResourcePreEvent; pre != nil && pre.Metadata.Op == apitype.OpRefresh {
			refreshed[pre.Metadata.URN] = true
		}
		out := e.ResOutputsEvent
		if out == nil || !refreshed[out.Metadata.URN] {
			continue
		}
		m := out.Metadata
		if !(m.Op == apitype.OpUpdate && m.DetailedDiff != nil) && m.Op != apitype.OpDelete {
			continue
		}
		r := Resource{URN: m.URN, Name: m.URN, Op: string(m.Op)}
		if u := urn.URN(m.URN); u.IsValid() {
			r.Type, r.Name = string(u.Type()), u.Name()
		}
		if m.Op == apitype.OpUpdate {
			for k := range m.DetailedDiff {
				r.Keys = append(r.Keys, k)
			}
			if len(r.Keys) == 0 {
				r.Keys = append(r.Keys, m.Diffs...)
			}
			sort.Strings(r.Keys)
		}
		found[m.URN] = r
	}
	out := make([]Resource, 0, len(found))
	for _, r := range found {
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].URN < out[j].URN })
	return out
}

// Write prints one line per drifted resource, or that there is none.
func Write(w io.Writer, stack string, rs []Resource) {
	if len(rs) == 0 {
		fmt.Fprintf(w, "no drift: every resource of stack %s matches its real state\n", stack)
		return
	}
	fmt.Fprintf(w, "DRIFT: %d resource(s) of stack %s changed outside Pulumi:\n", len(rs), stack)
	for _, r := range rs {
		what := "deleted outside Pulumi"
		if r.Op == "update" {
			what = "changed"
			if len(r.Keys) > 0 {
				what += ": " + strings.Join(r.Keys, ", ")
			}
		}
		fmt.Fprintf(w, "  %s %s (%s)\n    %s\n", r.Type, r.Name, what, r.URN)
	}
}
