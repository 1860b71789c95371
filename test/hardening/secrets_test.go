//go:build integration

package hardening_test

import (
	"bytes"
	"compress/gzip"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/coulomb-social/inter-hub-deploy/test/support/standin"
)

// secretSet maps a name ("database password (2)") to a secret value to look for.
type secretSet map[string]string

func (ss secretSet) add(name, value string) {
	if value == "" {
		return
	}
	for _, v := range ss {
		if v == value {
			return
		}
	}
	ss[name] = value
	// As Kubernetes and Pulumi encode a value on its own (Secret data, state).
	if enc := base64.StdEncoding.EncodeToString([]byte(value)); len(value) >= 8 {
		ss[name+" (base64)"] = enc
	}
}

// find lists the secrets that occur in text (by name, never by value).
func (ss secretSet) find(text string) []string {
	var found []string
	for name, v := range ss {
		if strings.Contains(text, v) {
			found = append(found, name)
		}
	}
	sort.Strings(found)
	return found
}

func randomHex(t *testing.T, n int) string {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// TestSecretsDoNotLeak runs a lifecycle (up, a new revision, a session and a password rotation,
// a failed build, preview --diff, refresh, config, history) with a SOPS file of its own, then
// looks for every secret in: the exported state (no --show-secrets), every file of the backend
// (history and backups included), all CLI output, every file the CLI and plugins wrote to
// their TMPDIR (logs at default verbosity), the Helm release's stored records, and the outputs
// the image build and the pgpool step recorded.
func TestSecretsDoNotLeak(t *testing.T) {
	s := standin.New(t, standin.Options{Names: standin.NamesFor("hard", "secrets")})
	secrets := secretSet{}

	// A SOPS file of this test's own, with values that occur nowhere else.
	sopsValues := map[string]string{
		"INTERHUB_API_KEY":   "api-" + randomHex(t, 16),
		"SMTP_PASSWORD":      "smtp-" + randomHex(t, 16),
		"UPSTREAM_API_TOKEN": "tok-" + randomHex(t, 16),
	}
	var plain strings.Builder
	for k, v := range sopsValues {
		plain.WriteString(k + ": " + v + "\n")
		secrets.add("SOPS value "+k, v)
	}
	sopsFile := sopsEncrypt(t, s, localRecipient(t, s), plain.String())
	s.SetConfig(t, s.ConfigFile, map[string]string{"secrets.sopsFile": sopsFile})

	secrets.add("registry password", s.Env.Registry.Password)
	// The pull account is the stack file's (Pulumi.local.yaml holds it encrypted), not the
	// stand-in's: only the pull Secret may hold it, and it is not one of the places searched.
	secrets.add("registry pull password", localPullPassword)
	secrets.add("registry pull auth", base64.StdEncoding.EncodeToString([]byte(localPullUser+":"+localPullPassword)))
	secrets.add("admin password", s.Env.Postgres.AdminPassword)
	keyLines(t, secrets, "SSH private key", readText(t, s.Env.BuildHost.PrivateKeyFixture))
	var kc struct {
		Users []struct {
			User map[string]string `json:"user" yaml:"user"`
		} `yaml:"users"`
	}
	if err := yaml.Unmarshal([]byte(readText(t, s.Env.Kubernetes.Kubeconfig)), &kc); err != nil {
		t.Fatal(err)
	}
	for _, u := range kc.Users {
		if k := u.User["client-key-data"]; k != "" {
			secrets.add("kubeconfig client key (base64)", k)
			pem, err := base64.StdEncoding.DecodeString(k)
			if err != nil {
				t.Fatal(err)
			}
			keyLines(t, secrets, "kubeconfig client key", string(pem))
		}
	}
	// The generated ones, read from the app Secret after each change.
	appSecrets := func(stage string) {
		values, ok := s.AppSecret(t)
		if !ok {
			t.Fatalf("%s: no app Secret", stage)
		}
		for k, v := range sopsValues {
			if values[k] != v {
				t.Fatalf("%s: the app Secret's %s is not the SOPS file's value", stage, k)
			}
		}
		u, ok := s.AppDatabaseURL(t)
		if !ok {
			t.Fatalf("%s: no DATABASE_URL", stage)
		}
		pass, _ := u.User.Password()
		secrets.add("database password ("+stage+")", pass)
		secrets.add("DATABASE_URL ("+stage+")", values["DATABASE_URL"])
		secrets.add("session secret ("+stage+")", values["IHP_SESSION_SECRET"])
	}

	s.Up(t)
	appSecrets("first up")
	s.SetConfig(t, s.ConfigFile, map[string]string{"app.revision": "v2"})
	s.MustRun(t, standin.UpTimeout, "preview", "--diff")
	s.Up(t)
	s.SetConfig(t, s.ConfigFile, map[string]string{"session.rotation": "1", "database.passwordRotation": "1"})
	s.MustRun(t, standin.UpTimeout, "preview", "--diff")
	s.Up(t)
	appSecrets("after rotation")
	if n := len(secrets); n < 14 {
		t.Fatalf("only %d secret values to look for", n)
	}
	failed := s.CopyConfig(t)
	s.SetConfig(t, failed, map[string]string{"app.revision": s.Env.BuildHost.BrokenTag})
	if r := s.RunWith(t, standin.UpTimeout, failed, "up", "--yes"); r.Err == nil {
		t.Fatal("the update to a broken revision succeeded")
	}
	s.MustRun(t, standin.UpTimeout, "refresh", "--yes")
	s.MustRun(t, standin.ShortTimeout, "config")
	s.MustRunPlain(t, standin.ShortTimeout, "stack", "history", "--stack", s.Stack)
	s.MustRunPlain(t, standin.ShortTimeout, "stack", "output", "--stack", s.Stack)
	s.MustRun(t, standin.UpTimeout, "up", "--yes", "--expect-no-changes")

	// Where to look, by kind of place; each kind is one case of the summary.
	backend := map[string]string{}
	for name, text := range filesUnder(t, s.StateDir) {
		backend[name] = text
	}
	temp := filesUnder(t, s.TmpDir)
	logs := filesUnder(t, s.Home) // the plugins link is not followed
	if len(logs) < 10 {
		t.Fatalf("only %d files in PULUMI_HOME: the CLI's logs are not where the test looks", len(logs))
	}
	updateLogs := updateLogFiles(s, logs)
	for name, text := range logs {
		logs[name] = withDecodedBase64(text) // the CLI logs some payloads as base64 protobuf
	}
	releases := helmReleases(t, s)
	if len(releases) < 3 {
		t.Fatalf("%d Helm release records, want one per upgrade (>= 3)", len(releases))
	}
	outputs := commandOutputs(t, s)
	if len(outputs) < 2 {
		t.Fatalf("recorded outputs of %d commands, want the build and the pgpool step", len(outputs))
	}
	kinds := []struct {
		name, proves string
		places       map[string]string
		check        func(t *testing.T)
	}{
		{"state-export", "pulumi stack export (no --show-secrets) holds no secret value", map[string]string{"pulumi stack export": s.Export(t)}, nil},
		{"backend-files", "no file of the state backend (state, history, backups) holds a secret value", backend, nil},
		{"cli-output", "no CLI output of the lifecycle (up, preview --diff, refresh, a failed build, config, history, outputs) shows a secret value", map[string]string{"CLI output": s.Transcript()}, nil},
		{"cli-logs", "no log the CLI wrote at default verbosity (PULUMI_HOME/logs, gzipped or encrypted) holds a secret value; every update log is encrypted", logs,
			func(t *testing.T) { checkUpdateLogsEncrypted(t, updateLogs, logs) }},
		{"temp-files", "no file the CLI or the plugins left in their TMPDIR holds a secret value", temp, nil},
		{"helm-records", "no Helm release record (values under config, manifest) holds a secret value", releases, nil},
		{"command-outputs", "the image build's and pgpool step's recorded stdout/stderr hold no secret value", outputs, nil},
	}
	for _, k := range kinds {
		t.Run(k.name, func(t *testing.T) {
			record(t, "secrets", k.proves)
			var names []string
			for name := range k.places {
				names = append(names, name)
			}
			sort.Strings(names)
			for _, name := range names {
				if found := secrets.find(k.places[name]); len(found) > 0 {
					t.Errorf("%s contains: %s", name, strings.Join(found, ", "))
				}
			}
			if k.check != nil {
				k.check(t)
			}
			t.Logf("looked for %d secret values in %d places", len(secrets), len(k.places))
			if k.name == "cli-logs" || k.name == "temp-files" {
				t.Logf("files: %s", strings.Join(names, " "))
			}
		})
	}

	// The update logs hold the run's payloads, secrets included: decrypted, the search finds
	// them, so it would if the CLI wrote them in plain text.
	var inLogs []string
	for _, name := range updateLogs {
		r := s.WS.Run(t, standin.ShortTimeout, "logs", "decrypt", filepath.Join(s.Home, name), "--stack", s.Stack)
		if r.Err != nil {
			t.Fatalf("pulumi logs decrypt %s: %v\n%s", name, r.Err, r.Stderr)
		}
		for _, f := range secrets.find(withDecodedBase64(r.Stdout)) {
			if !slices.Contains(inLogs, f) {
				inLogs = append(inLogs, f)
			}
		}
	}
	if len(inLogs) == 0 {
		t.Errorf("control: the decrypted update logs hold none of the secrets, so the search would not see them in plain text either")
	}
	t.Logf("control: the %d update logs, decrypted, hold %d of the secret values (stored encrypted)", len(updateLogs), len(inLogs))

	// The search finds what it looks for: the decrypted export holds the generated secrets.
	r := s.WS.Run(t, standin.ShortTimeout, "stack", "export", "--show-secrets", "--stack", s.Stack)
	if r.Err != nil {
		t.Fatal(r.Err)
	}
	// Secret data is base64 in the state (the provider turns stringData into data): the pull
	// password is in the decoded .dockerconfigjson.
	decrypted := withDecodedBase64(r.Stdout)
	for _, want := range []string{"database password (after rotation)", "session secret (after rotation)", "SOPS value SMTP_PASSWORD (base64)", "registry password", "registry pull password"} {
		if !strings.Contains(decrypted, secrets[want]) {
			t.Errorf("control: the decrypted state lacks the %s, so the search would not see it either", want)
		}
	}
}

// The local stack's registry pull account (Pulumi.local.yaml).
const (
	localPullUser     = "interhub-pull"
	localPullPassword = "sandbox-registry-pull-password"
)

// plogMagic starts a log the CLI encrypted with the stack's secrets provider.
const plogMagic = "PLOG"

// updateLogFiles lists the logs of the stack's updates: the CLI names them after the stack
// (organization+project+stack-<time>.log).
func updateLogFiles(s *standin.Stack, logs map[string]string) []string {
	var names []string
	for name := range logs {
		if strings.Contains(filepath.Base(name), "+"+s.Stack+"-") {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	return names
}

// checkUpdateLogsEncrypted fails unless there are update logs and each is encrypted: they hold
// the update's payloads, secrets included.
func checkUpdateLogsEncrypted(t *testing.T, updateLogs []string, logs map[string]string) {
	t.Helper()
	if len(updateLogs) < 3 {
		t.Errorf("%d update logs in PULUMI_HOME/logs, want one per up, preview and refresh (>= 3)", len(updateLogs))
	}
	plain := 0
	for _, name := range updateLogs {
		if !strings.HasPrefix(logs[name], plogMagic) {
			plain++
			t.Errorf("%s: an update log in plain text (not encrypted by the stack's secrets provider)", name)
		}
	}
	t.Logf("%d update logs, %d of them encrypted", len(updateLogs), len(updateLogs)-plain)
}

var base64Run = regexp.MustCompile(`[A-Za-z0-9+/]{16,}={0,2}`)

// withDecodedBase64 appends the decoded bytes of every base64 run in text, so a secret inside
// a base64-encoded payload is found too.
func withDecodedBase64(text string) string {
	if strings.HasPrefix(text, plogMagic) {
		return text
	}
	var b strings.Builder
	b.WriteString(text)
	for _, run := range base64Run.FindAllString(text, -1) {
		run = strings.TrimRight(run, "=")
		if d, err := base64.RawStdEncoding.DecodeString(run[:len(run)-len(run)%4]); err == nil {
			b.WriteString("\n")
			b.Write(d)
		}
	}
	return b.String()
}

// keyLines adds every base64 line of a PEM block as a secret to look for.
func keyLines(t *testing.T, ss secretSet, name, pem string) {
	t.Helper()
	n := 0
	for _, l := range strings.Split(pem, "\n") {
		l = strings.TrimSpace(l)
		if len(l) >= 24 && !strings.HasPrefix(l, "-----") {
			n++
			ss.add(name+" line "+itoa(n), l)
		}
	}
	if n == 0 {
		t.Fatalf("%s: no key material found", name)
	}
}

func readText(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// filesUnder reads every regular file below dir (gzipped ones decompressed).
func filesUnder(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	filepath.Walk(dir, func(path string, info os.FileInfo, err error) error {
		if err != nil || !info.Mode().IsRegular() {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			t.Errorf("reading %s: %v", path, err)
			return nil
		}
		if bytes.HasPrefix(b, []byte{0x1f, 0x8b}) { // the CLI gzips its per-command logs
			if zr, err := gzip.NewReader(bytes.NewReader(b)); err == nil {
				if d, err := io.ReadAll(zr); err == nil {
					b = d
				}
			}
		}
		rel, _ := filepath.Rel(dir, path)
		out[rel] = string(b)
		return nil
	})
	return out
}

// helmReleases decodes every release record Helm stores for the stack (Secret
// sh.helm.release.v1.<name>.v<N>: base64, gzip, JSON with the user-supplied values under
// "config" and the rendered manifest).
func helmReleases(t *testing.T, s *standin.Stack) map[string]string {
	t.Helper()
	var list struct {
		Items []struct {
			Metadata struct {
				Name string `json:"name"`
			} `json:"metadata"`
			Data map[string]string `json:"data"`
		} `json:"items"`
	}
	if err := json.Unmarshal(s.Kubectl(t, "-n", s.Namespace, "get", "secret", "-l", "owner=helm", "-o", "json"), &list); err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, item := range list.Items {
		outer, err := base64.StdEncoding.DecodeString(item.Data["release"])
		if err != nil {
			t.Fatalf("%s: %v", item.Metadata.Name, err)
		}
		inner, err := base64.StdEncoding.DecodeString(string(outer))
		if err != nil {
			t.Fatalf("%s: %v", item.Metadata.Name, err)
		}
		zr, err := gzip.NewReader(bytes.NewReader(inner))
		if err != nil {
			t.Fatalf("%s: %v", item.Metadata.Name, err)
		}
		raw, err := io.ReadAll(zr)
		if err != nil {
			t.Fatalf("%s: %v", item.Metadata.Name, err)
		}
		var rel struct {
			Config   map[string]any `json:"config"`
			Manifest string         `json:"manifest"`
		}
		if err := json.Unmarshal(raw, &rel); err != nil {
			t.Fatalf("%s: %v", item.Metadata.Name, err)
		}
		if rel.Config["existingSecret"] != "inter-hub-env" {
			t.Errorf("%s: stored values name no existingSecret: the check below would look at the wrong thing", item.Metadata.Name)
		}
		out[item.Metadata.Name] = string(raw)
	}
	return out
}

// commandOutputs returns the stdout and stderr the state records for each command resource,
// decrypted (a secret output is still a recorded one).
func commandOutputs(t *testing.T, s *standin.Stack) map[string]string {
	t.Helper()
	r := s.WS.Run(t, standin.ShortTimeout, "stack", "export", "--show-secrets", "--stack", s.Stack)
	if r.Err != nil {
		t.Fatal(r.Err)
	}
	var dep struct {
		Deployment struct {
			Resources []struct {
				URN     string         `json:"urn"`
				Type    string         `json:"type"`
				Outputs map[string]any `json:"outputs"`
			} `json:"resources"`
		} `json:"deployment"`
	}
	if err := json.Unmarshal([]byte(r.Stdout), &dep); err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, res := range dep.Deployment.Resources {
		if !strings.HasPrefix(res.Type, "command:") {
			continue
		}
		b, _ := json.Marshal(map[string]any{"stdout": res.Outputs["stdout"], "stderr": res.Outputs["stderr"]})
		out[res.URN[strings.LastIndex(res.URN, "::")+2:]] = string(b)
	}
	return out
}
