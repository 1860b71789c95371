//go:build integration

package plugins_test

import (
	"encoding/base64"
	"encoding/hex"
	"math/big"
	"regexp"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"
)

func TestRandomPlugin(t *testing.T) {
	t.Parallel()
	s := newStack(t, "random")
	s.config(map[string]string{"length": "24", "minUpper": "3", "keeper": "one", "prefix": "app-"}, nil)

	// Create.
	wantChanges(t, "create", s.up(), changes{"create": 3}) // the stack, password, id
	out := s.outputs()
	pw := out["password"].(string)
	checkPassword(t, pw, 24, 3)
	if err := bcrypt.CompareHashAndPassword([]byte(out["bcryptHash"].(string)), []byte(pw)); err != nil {
		t.Errorf("bcryptHash does not match the password: %v", err)
	}
	if out["passwordId"] != "none" {
		t.Errorf("RandomPassword ID = %v, want none as upstream", out["passwordId"])
	}
	checkID(t, out, "app-")

	// Secret in state: neither the password nor its hash in plain text.
	state := s.state()
	for _, secret := range []string{pw, out["bcryptHash"].(string)} {
		if strings.Contains(state, secret) {
			t.Fatal("the state holds a secret in plain text")
		}
	}
	if !strings.Contains(strings.ReplaceAll(state, " ", ""), `"__meta":"{\"schema_version\":\"3\"}"`) {
		t.Errorf("RandomPassword state lacks the schema version the official plugin records")
	}

	// No-op: same results.
	s.upNoChanges()
	if again := s.outputs(); again["password"] != pw || again["hex"] != out["hex"] {
		t.Fatal("results changed on an update with no changes")
	}
	wantChanges(t, "refresh", s.refresh(), changes{})

	// A new keeper replaces both resources with new values.
	s.config(map[string]string{"keeper": "two"}, nil)
	wantChanges(t, "preview after keeper change", s.preview(), changes{"replace": 2})
	wantChanges(t, "keeper change", s.up(), changes{"replace": 2})
	rotated := s.outputs()
	if rotated["password"] == pw || rotated["hex"] == out["hex"] {
		t.Fatal("a new keeper did not give new values")
	}
	checkID(t, rotated, "app-")

	// Any input change replaces (random has no updates), here the length.
	s.config(map[string]string{"length": "30"}, nil)
	wantChanges(t, "length change", s.up(), changes{"replace": 1})
	checkPassword(t, s.outputs()["password"].(string), 30, 3)

	// Bad input is refused before anything changes, naming the property.
	s.config(map[string]string{"length": "4", "minUpper": "3"}, nil)
	msg := s.upFails()
	if !strings.Contains(msg, "length") || !strings.Contains(msg, "minUpper + minLower + minNumeric + minSpecial") {
		t.Fatalf("invalid lengths: unclear error:\n%s", msg)
	}
	s.config(map[string]string{"length": "30"}, nil)
	s.upNoChanges()

	// Import, as upstream: a password by itself, an id by "prefix,b64url".
	s.config(map[string]string{"importId": "p-9hUg", "importIdBytes": "4"},
		map[string]string{"importPassword": "Imported-Passw0rd"})
	wantChanges(t, "import", s.up(), changes{"import": 2})
	imp := s.resourceOutputs("imported-password")
	if imp["length"] != float64(17) || imp["upper"] != true {
		t.Errorf("imported password state: %v", imp)
	}
	// The engine itself records the import ID, which for a RandomPassword is
	// the password (so it is with the official plugin); the outputs must not.
	st := regexp.MustCompile(`"importID":\s*"[^"]*"`).ReplaceAllString(s.state(), "")
	if strings.Contains(st, "Imported-Passw0rd") {
		t.Error("the imported password is in the state in plain text")
	}
	impID := s.resourceOutputs("imported-id")
	if impID["hex"] != "imp-a7ef6152" || impID["b64Url"] != "imp-p-9hUg" || impID["__id"] != "p-9hUg" {
		t.Errorf("imported id state: %v", impID)
	}
	s.upNoChanges()

	// Delete.
	wantChanges(t, "destroy", s.destroy(), changes{"delete": 5})
}

func checkPassword(t *testing.T, pw string, length, minUpper int) {
	t.Helper()
	if len(pw) != length {
		t.Fatalf("password length %d, want %d", len(pw), length)
	}
	upper, digits := 0, 0
	for _, c := range pw {
		switch {
		case c >= 'A' && c <= 'Z':
			upper++
		case c >= '0' && c <= '9':
			digits++
		case c >= 'a' && c <= 'z', strings.ContainsRune("_-!", c):
		default:
			t.Fatalf("password has %q, outside the allowed characters", c)
		}
	}
	if upper < minUpper || digits < 2 {
		t.Fatalf("password has %d upper-case letters and %d digits, want at least %d and 2", upper, digits, minUpper)
	}
}

// checkID checks that every encoding carries the prefix and the same 8 bytes,
// and that the ID is the unprefixed b64Url, as upstream.
func checkID(t *testing.T, out map[string]any, prefix string) {
	t.Helper()
	get := func(k string) string {
		v, _ := out[k].(string)
		if !strings.HasPrefix(v, prefix) {
			t.Fatalf("%s = %q lacks the prefix %q", k, v, prefix)
		}
		return strings.TrimPrefix(v, prefix)
	}
	raw, err := hex.DecodeString(get("hex"))
	if err != nil || len(raw) != 8 {
		t.Fatalf("hex %q: %v", out["hex"], err)
	}
	if b, _ := base64.RawURLEncoding.DecodeString(get("b64Url")); string(b) != string(raw) {
		t.Errorf("b64Url disagrees with hex")
	}
	if b, _ := base64.StdEncoding.DecodeString(get("b64Std")); string(b) != string(raw) {
		t.Errorf("b64Std disagrees with hex")
	}
	if get("dec") != new(big.Int).SetBytes(raw).String() {
		t.Errorf("dec disagrees with hex")
	}
	if out["id"] != base64.RawURLEncoding.EncodeToString(raw) {
		t.Errorf("id = %v, want the unprefixed b64Url", out["id"])
	}
}
