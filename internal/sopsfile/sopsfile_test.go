package sopsfile

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"filippo.io/age"
)

// sopsCLI finds the real sops binary: on PATH, or in the toolchain's prefix.
func sopsCLI(t *testing.T) string {
	t.Helper()
	if p, err := exec.LookPath("sops"); err == nil {
		return p
	}
	out, err := exec.Command("../../toolchain/tools.sh", "prefix").Output()
	if err == nil {
		p := filepath.Join(strings.TrimSpace(string(out)), "bin", "sops")
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	t.Fatal("the sops CLI is needed to make the fixtures: run toolchain/tools.sh build sops")
	return ""
}

type fixture struct {
	dir      string
	identity *age.X25519Identity
	sops     string
}

func newFixture(t *testing.T) *fixture {
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{dir: t.TempDir(), identity: id, sops: sopsCLI(t)}
}

// encrypt writes plain to a file and encrypts it with the real sops CLI for the fixture's key.
func (f *fixture) encrypt(t *testing.T, name, plain string) string {
	t.Helper()
	src := filepath.Join(f.dir, name+".plain.yaml")
	if err := os.WriteFile(src, []byte(plain), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(f.sops, "--encrypt", "--age", f.identity.Recipient().String(),
		"--input-type", "yaml", "--output-type", "yaml", src)
	cmd.Dir = f.dir // no .sops.yaml above a temporary directory
	cmd.Env = append(os.Environ(), "SOPS_DISABLE_VERSION_CHECK=1")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("sops --encrypt: %v: %s", err, stderr.String())
	}
	dst := filepath.Join(f.dir, name+".env.sops.yaml")
	if err := os.WriteFile(dst, out, 0o600); err != nil {
		t.Fatal(err)
	}
	return dst
}

func (f *fixture) useKey(t *testing.T, id *age.X25519Identity) {
	t.Setenv("SOPS_AGE_KEY_FILE", "")
	t.Setenv("SOPS_AGE_KEY", id.String())
}

func TestDecrypt(t *testing.T) {
	f := newFixture(t)
	path := f.encrypt(t, "ok", "INTERHUB_API_KEY: s3cret-value\nSMTP_PORT: 587\nFEATURE_X: true\nEMPTY: ''\n")
	if raw, _ := os.ReadFile(path); bytes.Contains(raw, []byte("s3cret-value")) {
		t.Fatal("the fixture is not encrypted")
	}
	f.useKey(t, f.identity)
	got, err := Decrypt(path, "")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"INTERHUB_API_KEY": "s3cret-value", "SMTP_PORT": "587", "FEATURE_X": "true", "EMPTY": ""}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %q, want %q", k, got[k], v)
		}
	}
}

func TestDecryptWithFallbackKeyFile(t *testing.T) {
	f := newFixture(t)
	path := f.encrypt(t, "ok", "A: b\n")
	keyFile := filepath.Join(f.dir, "age.key")
	if err := os.WriteFile(keyFile, []byte(f.identity.String()+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("SOPS_AGE_KEY_FILE", "")
	t.Setenv("SOPS_AGE_KEY", "")
	os.Unsetenv("SOPS_AGE_KEY_FILE")
	os.Unsetenv("SOPS_AGE_KEY")
	t.Setenv("HOME", f.dir) // no ~/.config/sops/age/keys.txt to fall back on
	got, err := Decrypt(path, keyFile)
	if err != nil || got["A"] != "b" {
		t.Fatalf("got %v, %v", got, err)
	}
	if os.Getenv("SOPS_AGE_KEY_FILE") != "" {
		t.Error("the fallback leaked into the environment")
	}
	// Without any identity the error says so.
	_, err = Decrypt(path, "")
	if err == nil || !strings.Contains(err.Error(), "no age identity: set SOPS_AGE_KEY_FILE or SOPS_AGE_KEY") {
		t.Errorf("error = %v", err)
	}
}

func TestWrongKey(t *testing.T) {
	f := newFixture(t)
	path := f.encrypt(t, "wrong", "A: b\n")
	other, _ := age.GenerateX25519Identity()
	f.useKey(t, other)
	_, err := Decrypt(path, "")
	want := path + ": cannot decrypt the data key with any available identity (age identity from SOPS_AGE_KEY); " +
		"the file is not encrypted for this key, see `sops updatekeys`"
	if err == nil || err.Error() != want {
		t.Errorf("error = %v\nwant    %s", err, want)
	}
}

func TestTampered(t *testing.T) {
	f := newFixture(t)
	f.useKey(t, f.identity)

	// A value removed: every remaining value decrypts, but the MAC no longer matches.
	path := f.encrypt(t, "removed", "A: one\nB: two\n")
	raw, _ := os.ReadFile(path)
	var kept []string
	for _, line := range strings.Split(string(raw), "\n") {
		if !strings.HasPrefix(line, "B: ") {
			kept = append(kept, line)
		}
	}
	if err := os.WriteFile(path, []byte(strings.Join(kept, "\n")), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Decrypt(path, "")
	if err == nil || err.Error() != path+": integrity check failed (MAC mismatch): the file was modified outside sops" {
		t.Errorf("removed value: error = %v", err)
	}

	// A ciphertext altered: AES-GCM refuses it.
	path = f.encrypt(t, "altered", "A: one\n")
	raw, _ = os.ReadFile(path)
	i := bytes.Index(raw, []byte("ENC[AES256_GCM,data:")) + len("ENC[AES256_GCM,data:")
	if raw[i] == 'A' {
		raw[i] = 'B'
	} else {
		raw[i] = 'A'
	}
	if err := os.WriteFile(path, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = Decrypt(path, "")
	if err == nil || !strings.HasPrefix(err.Error(), path+": a value cannot be decrypted (corrupted or edited outside sops)") {
		t.Errorf("altered value: error = %v", err)
	}
}

func TestStillEncryptedValue(t *testing.T) {
	f := newFixture(t)
	f.useKey(t, f.identity)
	// A value copied from another encrypted file is encrypted again, so after decryption it
	// is still an ENC[...] string.
	path := f.encrypt(t, "double", "A: plain\nB: ENC[AES256_GCM,data:Zm9v,iv:YmFy,tag:YmF6,type:str]\n")
	_, err := Decrypt(path, "")
	if err == nil || err.Error() != path+": key B: value is still encrypted (ENC[...]) after decryption" {
		t.Errorf("error = %v", err)
	}
}

func TestRefusedContent(t *testing.T) {
	f := newFixture(t)
	f.useKey(t, f.identity)

	empty := filepath.Join(f.dir, "empty.env.sops.yaml")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Decrypt(empty, ""); err == nil || err.Error() != empty+": the file is empty" {
		t.Errorf("empty: %v", err)
	}

	plain := filepath.Join(f.dir, "plain.env.sops.yaml")
	if err := os.WriteFile(plain, []byte("A: b\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Decrypt(plain, ""); err == nil || !strings.HasPrefix(err.Error(), plain+": not a SOPS-encrypted file") {
		t.Errorf("plain: %v", err)
	}

	nested := f.encrypt(t, "nested", "A: b\nDB:\n  user: x\n")
	if _, err := Decrypt(nested, ""); err == nil || err.Error() != nested+": key DB: must be a single value, not a list or mapping" {
		t.Errorf("nested: %v", err)
	}

	badName := f.encrypt(t, "badname", "A: b\nmy-var: c\n")
	if _, err := Decrypt(badName, ""); err == nil || err.Error() != badName+`: key "my-var": not an environment variable name` {
		t.Errorf("bad name: %v", err)
	}

	noValues := f.encrypt(t, "novalues", "{}\n")
	if _, err := Decrypt(noValues, ""); err == nil || err.Error() != noValues+": the file holds no values" {
		t.Errorf("no values: %v", err)
	}
}

// sops refuses to encrypt a file with a duplicate key, so a duplicate comes from editing the
// encrypted file: here a line copied.
func TestDuplicateKey(t *testing.T) {
	f := newFixture(t)
	f.useKey(t, f.identity)
	path := f.encrypt(t, "dup", "A: one\nB: two\n")
	raw, _ := os.ReadFile(path)
	first, _, _ := bytes.Cut(raw, []byte("\n"))
	if err := os.WriteFile(path, append(append(first, '\n'), raw...), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Decrypt(path, "")
	if err == nil || err.Error() != path+": key A: set more than once" {
		t.Errorf("error = %v", err)
	}
}
