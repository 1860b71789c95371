// Package history reads a stack's update history: what `pulumi stack history --json` prints
// (kind, result, times, config, environment per update) and, for self-managed backends, the
// stack outputs each update left behind, which the CLI's history does not include.
package history

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"time"
)

// Environment keys the CLI records with each update.
const (
	EnvGitHead  = "git.head"
	EnvGitDirty = "git.dirty"
)

// Update is one entry of `pulumi stack history --json`.
type Update struct {
	Version         int                    `json:"version"`
	Kind            string                 `json:"kind"`
	StartTime       time.Time              `json:"startTime"`
	EndTime         *time.Time             `json:"endTime"`
	Message         string                 `json:"message"`
	Environment     map[string]string      `json:"environment"`
	Config          map[string]ConfigValue `json:"config"`
	Result          string                 `json:"result"`
	ResourceChanges map[string]int         `json:"resourceChanges"`

	// Outputs are the stack outputs after the update, when the backend keeps them (see
	// Checkpoints); nil when unknown.
	Outputs map[string]any `json:"-"`
}

// ConfigValue is one config entry of an update. Secret values carry no Value unless the
// history was read with --show-secrets, which this package never asks for.
type ConfigValue struct {
	Value       *string `json:"value,omitempty"`
	ObjectValue any     `json:"objectValue,omitempty"`
	Secret      bool    `json:"secret"`
}

// String is the value as the CLI stores it (JSON text for objects), or "" when absent.
func (c ConfigValue) String() string {
	if c.Value == nil {
		return ""
	}
	return *c.Value
}

// Equal compares two config values as stored.
func (c ConfigValue) Equal(o ConfigValue) bool {
	if c.Secret != o.Secret || (c.Value == nil) != (o.Value == nil) {
		return false
	}
	return c.Value == nil || *c.Value == *o.Value
}

// Kinds and results as the CLI reports them.
const (
	KindUpdate       = "update"
	ResultSucceeded  = "succeeded"
	ResultFailed     = "failed"
	ResultInProgress = "in-progress"
)

// Parse reads the JSON of `pulumi stack history --json` (all pages: --page-size 0) and returns
// the updates, newest first, numbered. Pulumi Cloud numbers updates itself; self-managed backends
// (file, postgres) record no numbers (all 0), so they are numbered here 1..n from the oldest,
// counting every kind of operation, as Pulumi Cloud does.
func Parse(r io.Reader) ([]Update, error) {
	var updates []Update
	dec := json.NewDecoder(r)
	if err := dec.Decode(&updates); err != nil {
		return nil, fmt.Errorf("parsing `pulumi stack history --json`: %w", err)
	}
	numbered := 0
	for _, u := range updates {
		if u.Version != 0 {
			numbered++
		}
	}
	switch numbered {
	case 0:
		// The CLI lists the newest first.
		for i := range updates {
			updates[i].Version = len(updates) - i
		}
	case len(updates):
	default:
		return nil, fmt.Errorf("parsing `pulumi stack history --json`: %d of %d updates have no number", len(updates)-numbered, len(updates))
	}
	seen := map[int]bool{}
	for _, u := range updates {
		if u.Version < 0 || seen[u.Version] {
			return nil, fmt.Errorf("parsing `pulumi stack history --json`: update number %d is invalid or repeated", u.Version)
		}
		seen[u.Version] = true
	}
	sort.SliceStable(updates, func(i, j int) bool { return updates[i].Version > updates[j].Version })
	return updates, nil
}

// Find returns the update with the given version.
func Find(updates []Update, version int) (*Update, bool) {
	for i := range updates {
		if updates[i].Version == version {
			return &updates[i], true
		}
	}
	return nil, false
}

// GitHead is the commit of the deploy program's checkout the update ran from ("" if not a git
// checkout), with "+dirty" when it had uncommitted changes.
func (u *Update) GitHead() string {
	h := u.Environment[EnvGitHead]
	if h != "" && u.Environment[EnvGitDirty] == "true" {
		h += "+dirty"
	}
	return h
}

// OutputString returns a string stack output of the update.
func (u *Update) OutputString(name string) (string, bool) {
	v, ok := u.Outputs[name].(string)
	return v, ok
}
