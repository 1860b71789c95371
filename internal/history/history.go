// Package history reads a stack's update history: what the Automation API's Stack.History gives
// (kind, result, times, config, environment per update) and, for self-managed backends, the
// stack outputs each update left behind, which that history does not include.
package history

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
)

// Environment keys the CLI records with each update.
const (
	EnvGitHead  = "git.head"
	EnvGitDirty = "git.dirty"
)

// Update is one entry of the stack's history (the Automation API's `Stack.History`, which is
// `pulumi stack history --json`), with the fields the rollback reads.
type Update struct {
	Version         int
	Kind            string
	StartTime       time.Time
	Message         string
	Environment     map[string]string
	Config          map[string]ConfigValue
	Result          string
	ResourceChanges map[string]int

	// Outputs are the stack outputs after the update, when the backend keeps them (see
	// Checkpoints); nil when unknown.
	Outputs map[string]any
}

// ConfigValue is one config entry of an update or of the stack's config file. A secret's Value
// is nil: this package never reads config with --show-secrets.
type ConfigValue struct {
	Value  *string `json:"value,omitempty"`
	Secret bool    `json:"secret"`
}

// Config converts config as the Automation API reads it. The CLI leaves a secret's value out
// when secrets are not shown, which the API reads as ""; here that is "no value".
func Config(m auto.ConfigMap) map[string]ConfigValue {
	out := make(map[string]ConfigValue, len(m))
	for k, v := range m {
		c := ConfigValue{Secret: v.Secret}
		if !v.Secret || v.Value != "" {
			c.Value = &v.Value
		}
		out[k] = c
	}
	return out
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

// Parse reads what `pulumi stack history --json` prints (all pages: --page-size 0), as
// recorded for tests, and returns it as Updates does.
func Parse(r io.Reader) ([]Update, error) {
	var summaries []auto.UpdateSummary
	if err := json.NewDecoder(r).Decode(&summaries); err != nil {
		return nil, fmt.Errorf("parsing `pulumi stack history --json`: %w", err)
	}
	return Updates(summaries)
}

// Updates converts the Automation API's history and returns the updates newest first,
// numbered. Pulumi Cloud numbers updates itself; self-managed backends (file, postgres) record
// no numbers (all 0), so they are numbered here 1..n from the oldest, counting every kind of
// operation, as Pulumi Cloud does.
func Updates(summaries []auto.UpdateSummary) ([]Update, error) {
	updates := make([]Update, 0, len(summaries))
	numbered := 0
	for _, s := range summaries {
		start, err := time.Parse(time.RFC3339, s.StartTime)
		if err != nil {
			return nil, fmt.Errorf("stack history: update %d's start time: %w", s.Version, err)
		}
		u := Update{
			Version: s.Version, Kind: s.Kind, StartTime: start, Message: s.Message,
			Environment: s.Environment, Config: Config(s.Config), Result: s.Result,
		}
		if s.ResourceChanges != nil {
			u.ResourceChanges = *s.ResourceChanges
		}
		if u.Version != 0 {
			numbered++
		}
		updates = append(updates, u)
	}
	switch numbered {
	case 0:
		// The CLI lists the newest first.
		for i := range updates {
			updates[i].Version = len(updates) - i
		}
	case len(updates):
	default:
		return nil, fmt.Errorf("stack history: %d of %d updates have no number", len(updates)-numbered, len(updates))
	}
	seen := map[int]bool{}
	for _, u := range updates {
		if u.Version < 0 || seen[u.Version] {
			return nil, fmt.Errorf("stack history: update number %d is invalid or repeated", u.Version)
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
