// Package drift reads the JSON of `pulumi refresh --preview-only --json` and names the
// resources whose real state no longer matches Pulumi's state. A refresh preview writes nothing,
// unlike `refresh --yes` or `refresh --expect-no-changes`, which both save the refreshed state.
package drift

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/urn"

	"github.com/coulomb-social/inter-hub-deploy/internal/previewsummary"
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

// Find returns the drifted resources of a refresh preview, sorted by URN.
func Find(p *previewsummary.Preview) []Resource {
	var out []Resource
	for _, s := range p.Steps {
		if s.Op != "update" && s.Op != "delete" {
			continue
		}
		r := Resource{URN: s.URN, Name: s.URN, Op: s.Op}
		if u := urn.URN(s.URN); u.IsValid() {
			r.Type, r.Name = string(u.Type()), u.Name()
		}
		for k := range s.DetailedDiff {
			r.Keys = append(r.Keys, k)
		}
		if len(r.Keys) == 0 {
			r.Keys = append(r.Keys, s.DiffReasons...)
		}
		sort.Strings(r.Keys)
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
