package previewsummary

import (
	"bytes"
	"os"
	"strings"
	"testing"
)

// The testdata was recorded with the real CLI (v3.274.1) by the record-*.sh scripts next to it.
func load(t *testing.T, name string) *Preview {
	t.Helper()
	f, err := os.Open("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	p, err := Parse(f)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func markdown(p *Preview, title string) string {
	var b bytes.Buffer
	p.Markdown(&b, title)
	return b.String()
}

func mustContain(t *testing.T, md string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(md, w) {
			t.Errorf("summary lacks %q:\n%s", w, md)
		}
	}
}

func TestCreateOfAFreshStack(t *testing.T) {
	p := load(t, "slowprog-create.json")
	md := markdown(p, "demo")
	mustContain(t, md, "### Pulumi preview: demo", "| create | 2 |", "- **create** `marker-v1` (slowprog:index:Marker)")
	if strings.Contains(md, "No changes") || strings.Contains(md, "REPLACED") || len(p.Errors()) != 0 {
		t.Errorf("unexpected summary:\n%s", md)
	}
}

func TestNoChanges(t *testing.T) {
	p := load(t, "slowprog-nochange.json")
	md := markdown(p, "demo")
	mustContain(t, md, "No changes.", "| same | 2 |")
	if p.Changes() || strings.Contains(md, "Other changes") {
		t.Errorf("a no-op preview reports changes:\n%s", md)
	}
}

func TestRenameIsCreateAndDelete(t *testing.T) {
	md := markdown(load(t, "slowprog-rename.json"), "demo")
	mustContain(t, md, "| delete | 1 |", "| create | 1 |", "| same | 1 |",
		"- **create** `marker-v2`", "- **delete** `marker-v1`")
	// Deletes are listed before creates in the table: they are what a reviewer must not miss.
	if strings.Index(md, "| delete |") > strings.Index(md, "| create |") {
		t.Errorf("delete must come first:\n%s", md)
	}
}

func TestProgramErrorIsReported(t *testing.T) {
	p := load(t, "slowprog-error.json")
	if n := len(p.Errors()); n != 1 {
		t.Fatalf("%d errors, want 1", n)
	}
	md := markdown(p, "demo")
	mustContain(t, md, "**The preview failed with 1 error(s).**", "#### Errors", "failing as inter-hub:fail asks", "```")
}

func TestParseRejectsEmptyAndNonJSON(t *testing.T) {
	for in, want := range map[string]string{
		"":                            "empty",
		"  \n":                        "empty",
		"error: no stack named local": "not the JSON",
	} {
		if _, err := Parse(strings.NewReader(in)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Parse(%q) = %v, want an error with %q", in, err, want)
		}
	}
}

func TestMaskSecretsAndUnknowns(t *testing.T) {
	in := map[string]any{
		"plain": "x",
		"sig":   map[string]any{sigKey: secretSig, "ciphertext": "v1:abc"},
		"plain-secret": map[string]any{
			sigKey: secretSig, "plaintext": `"hunter2"`,
		},
		"nested":  []any{map[string]any{"a": map[string]any{sigKey: secretSig, "value": "hunter2"}}},
		"unknown": unknownValue,
	}
	out := Mask(in).(map[string]any)
	if out["plain"] != "x" || out["sig"] != secretMask || out["plain-secret"] != secretMask || out["unknown"] != unknownMask {
		t.Fatalf("masked: %v", out)
	}
	if got := out["nested"].([]any)[0].(map[string]any)["a"]; got != secretMask {
		t.Fatalf("nested secret: %v", got)
	}
	if s := show(in, true); strings.Contains(s, "hunter2") || strings.Contains(s, "v1:abc") {
		t.Fatalf("show leaks a secret: %s", s)
	}
}

func TestLookupPaths(t *testing.T) {
	st := &State{
		Inputs: map[string]any{
			"values":       map[string]any{"image": "a@sha256:1", "list": []any{"x", "y"}, "dotted.key": "d"},
			"secretParent": map[string]any{sigKey: secretSig, "ciphertext": "c"},
		},
		Outputs:                 map[string]any{"result": "p4ssw0rd", "id": "i"},
		AdditionalSecretOutputs: []string{"result"},
	}
	for path, want := range map[string]any{
		"values.image":         "a@sha256:1",
		"values.list[1]":       "y",
		`values["dotted.key"]`: "d",
		"secretParent.child":   secretMask,
		"result":               secretMask,
		"id":                   "i",
	} {
		got, ok := lookup(st, path)
		if !ok || got != want {
			t.Errorf("lookup(%s) = %v %v, want %v", path, got, ok, want)
		}
	}
	if _, ok := lookup(st, "values.missing"); ok {
		t.Error("a missing path was found")
	}
}

func TestReplacementsAreCalledOutWithTheirReasons(t *testing.T) {
	p := load(t, "prog-mixed.json")
	md := markdown(p, "demo")
	mustContain(t, md,
		"| replace | 3 |", "| update | 1 |",
		"#### :warning: 3 resource(s) will be REPLACED",
		"- **replace** `db-password` (random:index/randomPassword:RandomPassword), replaced because of: `length`",
		"  - `length`: `24` → `32`",
		"- **replace** `session-secret` (random:index/randomId:RandomId), replaced because of: `keepers`",
		"  - `keepers.rotation`: `0` → `1`",
		// The command provider gives no replace reasons; the replacing property comes from the detailed diff.
		"- **replace** `image-build` (command:local:Command), replaced because of: `triggers[0]`",
		"  - `triggers[0]`: `1` → `2`",
		"#### Other changes",
		"- **update** `notify` (command:local:Command), changed: `create`, `environment.SESSION`",
		"  - `create`: `echo deployed first` → `echo deployed second`",
		"  - `environment.SESSION`: `", "→ (known after apply)",
	)
	// Replacements come before other changes.
	if strings.Index(md, "REPLACED") > strings.Index(md, "Other changes") {
		t.Errorf("replacements must come first:\n%s", md)
	}
}

func TestSecretsStayMasked(t *testing.T) {
	raw, err := os.ReadFile("testdata/prog-mixed.json")
	if err != nil {
		t.Fatal(err)
	}
	md := markdown(load(t, "prog-mixed.json"), "demo")
	// The command's stdin is the generated password: the preview marks it secret.
	mustContain(t, md, "  - `stdin`: [secret] → [secret]")
	// Whatever the JSON shows only masked must stay so: no value next to a "[secret]" in the
	// recording may appear in the summary, and the password's result is never shown.
	if !strings.Contains(string(raw), `"result": "[secret]"`) {
		t.Fatal("the recording no longer has a masked password result; re-record")
	}
	if strings.Contains(md, "result") {
		t.Errorf("the password's result appears in the summary:\n%s", md)
	}
}

func TestUpdateOnly(t *testing.T) {
	md := markdown(load(t, "prog-update.json"), "demo")
	mustContain(t, md, "| update | 1 |", "| same | 4 |", "- **update** `notify`", "`echo deployed first` → `echo deployed second`")
	if strings.Contains(md, "REPLACED") {
		t.Errorf("no replacement expected:\n%s", md)
	}
}

// Preview JSON written with secrets shown (or by other tools) carries secret signature objects
// instead of "[secret]"; those must be masked too.
func TestSecretSignatureObjectsAreMasked(t *testing.T) {
	raw, err := os.ReadFile("testdata/prog-mixed.json")
	if err != nil {
		t.Fatal(err)
	}
	sig := `{"4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", "plaintext": "\"hunter2-plain\""}`
	n := strings.Count(string(raw), `"stdin": "[secret]"`)
	if n == 0 {
		t.Fatal("the recording has no masked stdin; re-record")
	}
	edited := strings.ReplaceAll(string(raw), `"stdin": "[secret]"`, `"stdin": `+sig)
	p, err := Parse(strings.NewReader(edited))
	if err != nil {
		t.Fatal(err)
	}
	md := markdown(p, "demo")
	if strings.Contains(md, "hunter2") {
		t.Fatalf("a secret signature object leaked:\n%s", md)
	}
	mustContain(t, md, "  - `stdin`: [secret] → [secret]")
}

// Recorded from the deploy program's local stack on the stand-in (record-local.sh).
func TestDeployProgramNewRevision(t *testing.T) {
	md := markdown(load(t, "local-revision.json"), "local")
	mustContain(t, md,
		"| replace | 1 |", "| update | 1 |", "| same | 22 |",
		"#### :warning: 1 resource(s) will be REPLACED",
		"- **replace** `image` (command:remote:Command), replaced because of: `triggers[0]`",
		// The build script is long; the summary shows where the two versions differ.
		"'v1' '127.0.0.1:5443' 'inter-hub'", "'v2' '127.0.0.1:5443' 'inter-hub'",
		"  - `triggers[0]`: `v1` → `v2`",
		"- **update** `release` (kubernetes:helm.sh/v3:Release), changed: `values.image`, `version`",
		"  - `values.image`: `127.0.0.1:5443/inter-hub@sha256:",
	)
}

func TestDeployProgramFirstPreviewFoldsTheList(t *testing.T) {
	p := load(t, "local-create.json")
	md := markdown(p, "local")
	mustContain(t, md, "| create | 24 |", "<details><summary>23 resources</summary>", "</details>",
		"- **create** `release` (kubernetes:helm.sh/v3:Release)", "- **create** `database-role` (postgresql:index/role:Role)")
	if len(p.Errors()) != 0 || strings.Contains(md, "REPLACED") {
		t.Errorf("unexpected summary:\n%s", md)
	}
	// The recording holds secret inputs (kubeconfig, passwords, the app's SOPS values) only masked.
	raw, _ := os.ReadFile("testdata/local-create.json")
	if !strings.Contains(string(raw), `"[secret]"`) {
		t.Fatal("the recording has no masked secrets; re-record")
	}
}

func TestAroundShowsWhereLongValuesDiffer(t *testing.T) {
	a := strings.Repeat("x", 300) + "OLD-END"
	b := strings.Repeat("x", 300) + "NEW-END"
	x, y := around(a, b)
	if !strings.HasSuffix(x, "OLD-END") || !strings.HasSuffix(y, "NEW-END") || !strings.HasPrefix(x, "…") || len(x) > maxValueChars+10 {
		t.Fatalf("around: %q %q", x, y)
	}
	if x, y := around("short", "also short"); x != "short" || y != "also short" {
		t.Fatalf("short values changed: %q %q", x, y)
	}
}
