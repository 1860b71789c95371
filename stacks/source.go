package stacks

import (
	"encoding/json"
	"os"
	"sort"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Source is where configuration values come from: the running stack, or a map in tests.
type Source interface {
	// Get returns the value of a full key ("inter-hub:build.host").
	Get(key string) (string, bool)
	// IsSecret reports whether the stack holds the key as a secret.
	IsSecret(key string) bool
	// Keys lists every key the stack sets, so that misspelt keys are reported.
	Keys() []string
}

type contextSource struct{ ctx *pulumi.Context }

// FromContext reads the stack's configuration through the Pulumi context.
func FromContext(ctx *pulumi.Context) Source { return contextSource{ctx} }

func (s contextSource) Get(key string) (string, bool) { return s.ctx.GetConfig(key) }
func (s contextSource) IsSecret(key string) bool      { return s.ctx.IsConfigSecret(key) }

// Keys comes from the variable the language host passes the configuration in; the SDK offers
// lookups by key only.
func (s contextSource) Keys() []string {
	var all map[string]json.RawMessage
	if err := json.Unmarshal([]byte(os.Getenv(pulumi.EnvConfig)), &all); err != nil {
		return nil
	}
	keys := make([]string, 0, len(all))
	for k := range all {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// MapSource is a Source backed by maps; tests use it.
type MapSource struct {
	Values  map[string]string // full keys
	Secrets map[string]bool
}

func (m MapSource) Get(key string) (string, bool) { v, ok := m.Values[key]; return v, ok }
func (m MapSource) IsSecret(key string) bool      { return m.Secrets[key] }
func (m MapSource) Keys() []string {
	keys := make([]string, 0, len(m.Values))
	for k := range m.Values {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// projectPrefix is the namespace of this project's keys.
const projectPrefix = "inter-hub:"

func fullKey(name string) string { return projectPrefix + name }

func shortKey(full string) (string, bool) { return strings.CutPrefix(full, projectPrefix) }

// Ref is a declared key's full name ("inter-hub:postgres.sslmode"), for messages outside this
// package that must name a key. It panics on an undeclared key, as a typo in a message would
// otherwise point operators at a key that does not exist.
func Ref(name string) string {
	if _, ok := keyIndex(name); !ok {
		panic("stacks: undeclared key " + name)
	}
	return fullKey(name)
}
