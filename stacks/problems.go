package stacks

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"
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
		if d := distance(strings.ToLower(k.Name), strings.ToLower(name)); d < bestDist {
			best, bestDist = k.Name, d
		}
	}
	return best
}

// distance is the Levenshtein distance between a and b.
func distance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
