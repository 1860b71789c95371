package stacks

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/agext/levenshtein"
)

// Problem is one thing wrong with a stack's configuration.
type Problem struct {
	Key     string // full key, "inter-hub:build.hostKey"
	Message string
}

func (p Problem) String() string { return p.Key + ": " + p.Message }

// Problems is the error Parse returns: every problem found, sorted by key.
type Problems []Problem

func (ps Problems) Error() string {
	lines := make([]string, len(ps))
	for i, p := range ps {
		lines[i] = "  " + p.String()
	}
	noun := "problems"
	if len(ps) == 1 {
		noun = "problem"
	}
	return fmt.Sprintf("invalid stack configuration, nothing was changed (%d %s):\n%s", len(ps), noun, strings.Join(lines, "\n"))
}

func (ps Problems) sorted() Problems {
	out := append(Problems(nil), ps...)
	sort.SliceStable(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}

func jsonUnmarshal(s string, out any) error { return json.Unmarshal([]byte(s), out) }

func asPathError(err error, target **os.PathError) bool { return errors.As(err, target) }

// suggest returns the declared key closest to a misspelt one, if any is close.
func suggest(name string) string {
	best, bestDist := "", 4
	for _, k := range Keys {
		if strings.EqualFold(k.Name, name) {
			return k.Name
		}
		if d := levenshtein.Distance(strings.ToLower(k.Name), strings.ToLower(name), nil); d < bestDist {
			best, bestDist = k.Name, d
		}
	}
	return best
}
