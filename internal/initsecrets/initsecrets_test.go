package initsecrets

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"filippo.io/age"

	"github.com/coulomb-social/inter-hub-deploy/internal/sopsfile"
)

// requireEnv set to 1 turns a missing sops into a failure (`make test` sets it).
const requireEnv = "INTERHUB_REQUIRE_TOOLS"

// sopsBinary is the sops CLI on PATH (eval "$(toolchain/tools.sh env)" puts it there).
func sopsBinary(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("sops")
	if err != nil {
		if os.Getenv(requireEnv) != "" {
			t.Fatalf("sops is required (%s is set) but not on PATH: %v", requireEnv, err)
		}
		t.Skipf("sops not on PATH (eval \"$(toolchain/tools.sh env)\"; set %s=1 to fail instead)", requireEnv)
	}
	return p
}

// repo is a copy of the repository's .sops.yaml in a directory with deploy/secrets/.
func repo(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	conf, err := os.ReadFile("../../.sops.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, ".sops.yaml"), conf, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "deploy", "secrets"), 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

func identity(t *testing.T) *age.X25519Identity {
	t.Helper()
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// decrypt reads a SOPS file as the program does, with id's identity only.
func decrypt(t *testing.T, path string, id *age.X25519Identity) (map[string]string, error) {
	t.Helper()
	t.Setenv("SOPS_AGE_KEY_FILE", "")
	t.Setenv("SOPS_AGE_KEY", id.String())
	return sopsfile.Decrypt(path, "")
}

func TestCreatesTheFileForTheRecipientAndFillsThePlaceholderRule(t *testing.T) {
	sops := sopsBinary(t)
	dir := repo(t)
	confBefore, _ := os.ReadFile(filepath.Join(dir, ".sops.yaml"))
	id := identity(t)
	res, err := Run(context.Background(), Options{RepoDir: dir, Stack: "railiance01", Recipient: id.Recipient().String(), Sops: sops,
		Values: map[string]string{"SMTP_PASSWORD": "smtp-s3cret-value", "ADMIN_EMAIL": "ops@coulomb.social"}})
	if err != nil {
		t.Fatal(err)
	}
	if res.File != "deploy/secrets/railiance01.env.sops.yaml" || res.Rule != "updated" {
		t.Errorf("result = %+v", res)
	}
	path := filepath.Join(dir, res.File)
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	values, err := decrypt(t, path, id)
	if err != nil {
		t.Fatalf("decrypting with the recipient's identity: %v", err)
	}
	// Every required key and every given one, and nothing else.
	if len(values) != 4 {
		t.Errorf("keys = %v", values)
	}
	if !regexp.MustCompile(`^[0-9a-f]{64}$`).MatchString(values["INTERHUB_API_KEY"]) {
		t.Errorf("INTERHUB_API_KEY = %q, want 64 generated hex characters", values["INTERHUB_API_KEY"])
	}
	for k, want := range map[string]string{"IHP_ENV": "Production", "SMTP_PASSWORD": "smtp-s3cret-value", "ADMIN_EMAIL": "ops@coulomb.social"} {
		if values[k] != want {
			t.Errorf("%s = %q, want %q", k, values[k], want)
		}
	}
	for _, v := range values {
		if bytes.Contains(raw, []byte(v)) {
			t.Errorf("the file holds the value %q in plain text", v)
		}
	}
	if strings.Join(res.Generated, ",") != "INTERHUB_API_KEY" || strings.Join(res.Defaulted, ",") != "IHP_ENV" ||
		strings.Join(res.Keys, ",") != "INTERHUB_API_KEY,IHP_ENV,ADMIN_EMAIL,SMTP_PASSWORD" {
		t.Errorf("result = %+v", res)
	}
	// Another identity cannot read it.
	if _, err := decrypt(t, path, identity(t)); err == nil {
		t.Error("a foreign identity decrypted the file")
	}

	// .sops.yaml: only the placeholder changed, comments and the local rule kept.
	confAfter, _ := os.ReadFile(filepath.Join(dir, ".sops.yaml"))
	if want := strings.Replace(string(confBefore), PlaceholderRecipient, id.Recipient().String(), 1); string(confAfter) != want {
		t.Errorf(".sops.yaml after:\n%s\nwant:\n%s", confAfter, want)
	}

	// A second run refuses to overwrite, and changes nothing.
	_, err = Run(context.Background(), Options{RepoDir: dir, Stack: "railiance01", Recipient: id.Recipient().String(), Sops: sops})
	if err == nil || !strings.Contains(err.Error(), "deploy/secrets/railiance01.env.sops.yaml already exists; init-secrets never overwrites it") {
		t.Errorf("second run: %v", err)
	}
	if again, _ := os.ReadFile(path); !bytes.Equal(again, raw) {
		t.Error("the second run changed the file")
	}

	// sops itself, run as an operator would, finds the new rule: a new file for the stack is
	// encrypted for the recipient without naming it.
	cmd := exec.Command(sops, "encrypt", "--filename-override", "deploy/secrets/railiance01.env.sops.yaml")
	cmd.Dir, cmd.Stdin = dir, strings.NewReader("A: b\n")
	cmd.Env = append(os.Environ(), "SOPS_DISABLE_VERSION_CHECK=1")
	if out, err := cmd.Output(); err != nil || !bytes.Contains(out, []byte(id.Recipient().String())) {
		t.Errorf("sops with the updated .sops.yaml: %v\n%s", err, out)
	}
}

func TestRefusesPlaceholdersAndReservedKeysAndWritesNothing(t *testing.T) {
	sops := sopsBinary(t)
	dir := repo(t)
	confBefore, _ := os.ReadFile(filepath.Join(dir, ".sops.yaml"))
	id := identity(t)
	_, err := Run(context.Background(), Options{RepoDir: dir, Stack: "railiance01", Recipient: id.Recipient().String(), Sops: sops,
		Values: map[string]string{
			"INTERHUB_API_KEY": "changeme", "A": "TODO: ask ops", "B": "<smtp password>", "C": "", "D": "xxxx",
			"E": "REPLACE-WITH-THE-REAL-ONE", "DATABASE_URL": "postgresql://x", "not-a-name": "v",
		}})
	want := []string{
		`A: "TODO: ask ops" is a placeholder, not a value`,
		`B: "<smtp password>" is a placeholder, not a value`,
		`C: "" is a placeholder, not a value`,
		`D: "xxxx" is a placeholder, not a value`,
		"DATABASE_URL: the program sets it itself; leave it out",
		`E: "REPLACE-WITH-THE-REAL-ONE" is a placeholder, not a value`,
		`INTERHUB_API_KEY: "changeme" is a placeholder, not a value`,
		"not-a-name: not an environment variable name",
	}
	if err == nil || err.Error() != "nothing was written:\n  "+strings.Join(want, "\n  ") {
		t.Errorf("error = %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "deploy/secrets/railiance01.env.sops.yaml")); err == nil {
		t.Error("a file was written")
	}
	if after, _ := os.ReadFile(filepath.Join(dir, ".sops.yaml")); !bytes.Equal(after, confBefore) {
		t.Error(".sops.yaml changed")
	}
	// Real values that merely contain a common word are fine.
	for _, v := range []string{"Production", "s3cret-2f9a", "xylophone"} {
		if placeholder(v) {
			t.Errorf("%q taken for a placeholder", v)
		}
	}
}

func TestRecipientRules(t *testing.T) {
	sops := sopsBinary(t)
	id := identity(t)
	ctx := context.Background()

	if _, err := Run(ctx, Options{RepoDir: repo(t), Stack: "railiance01", Recipient: "age1notakey", Sops: sops}); err == nil ||
		!strings.HasPrefix(err.Error(), `--age-recipient "age1notakey": not an age public key`) {
		t.Errorf("bad recipient: %v", err)
	}
	if _, err := Run(ctx, Options{RepoDir: repo(t), Stack: "Railiance 01", Recipient: id.Recipient().String(), Sops: sops}); err == nil ||
		!strings.HasPrefix(err.Error(), `--stack "Railiance 01": not a stack name`) {
		t.Errorf("bad stack: %v", err)
	}

	// The local rule names another key: this recipient is not put in silently.
	dir := repo(t)
	_, err := Run(ctx, Options{RepoDir: dir, Stack: "local", Recipient: id.Recipient().String(), Sops: sops})
	if err == nil || !strings.Contains(err.Error(), "the creation rule for deploy/secrets/local.env.sops.yaml encrypts for "+
		"age12z35zu3tgumvtuysvqg63nz4a26s2ww32pwht4pjfe0sdxwgyp6sqrcqkp, not for "+id.Recipient().String()) {
		t.Errorf("foreign rule: %v", err)
	}

	// A stack without a rule gets one, so that `sops updatekeys` works for it later.
	res, err := Run(ctx, Options{RepoDir: dir, Stack: "staging", Recipient: id.Recipient().String(), Sops: sops})
	if err != nil {
		t.Fatal(err)
	}
	if res.Rule != "added" {
		t.Errorf("rule = %q", res.Rule)
	}
	values, err := decrypt(t, filepath.Join(dir, res.File), id)
	if err != nil || values["IHP_ENV"] != "Production" {
		t.Errorf("staging file: %v, %v", values, err)
	}
	conf, _ := os.ReadFile(filepath.Join(dir, ".sops.yaml"))
	if !strings.Contains(string(conf), "  - path_regex: (^|/)deploy/secrets/staging\\.env\\.sops\\.yaml$\n    age: "+id.Recipient().String()+"\n") ||
		!strings.Contains(string(conf), "REPLACE-WITH-THE-OPERATORS-AGE-PUBLIC-KEYS") {
		t.Errorf(".sops.yaml:\n%s", conf)
	}
}
