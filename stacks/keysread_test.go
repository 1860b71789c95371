package stacks

import (
	"path/filepath"
	"sort"
	"testing"
)

// recording is a Source that notes every key the reader asks for.
type recording struct {
	MapSource
	asked map[string]bool
}

func (r recording) Get(key string) (string, bool) {
	r.asked[key] = true
	return r.MapSource.Get(key)
}

// Every key of keys.go is read by Parse, in the committed stacks and their variants, and Parse
// reads no other (an undeclared key panics): a key is named in keys.go and read where its
// section is parsed, and this test keeps the two in step, so the panic cannot reach an operator.
func TestEveryDeclaredKeyIsRead(t *testing.T) {
	t.Setenv("SOPS_AGE_KEY_FILE", "")
	t.Setenv("SOPS_AGE_KEY", "")
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	asked := map[string]bool{}
	parse := func(src MapSource) {
		_, _ = Parse(recording{src, asked}, root) // problems are expected; what was read counts
	}
	for _, stack := range []string{"local", "railiance01"} {
		parse(stackSource(t, stack, "inter-hub-local"))
	}
	var unread []string
	for _, k := range Keys {
		if !asked[fullKey(k.Name)] {
			unread = append(unread, k.Name)
		}
	}
	sort.Strings(unread)
	if len(unread) > 0 {
		t.Errorf("declared in keys.go but never read by Parse: %v", unread)
	}
}
