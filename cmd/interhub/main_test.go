package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"filippo.io/age"

	"github.com/coulomb-social/inter-hub-deploy/internal/sopsfile"
	"github.com/coulomb-social/inter-hub-deploy/stacks"
	"github.com/coulomb-social/inter-hub-deploy/test/support/clirun"
)

func run(t *testing.T, stdin string, args ...string) (string, string, int) {
	t.Helper()
	var out, errb bytes.Buffer
	code := dispatch(args, strings.NewReader(stdin), &out, &errb)
	return out.String(), errb.String(), code
}

// The key app-revision edits must be the program's key.
func TestAppRevisionKeyIsAStacksKey(t *testing.T) {
	for _, k := range stacks.Keys {
		if k.Name == appRevisionKey {
			return
		}
	}
	t.Errorf("%s is not in stacks.Keys", appRevisionKey)
}

func TestUsageAndUnknownCommand(t *testing.T) {
	if _, errOut, code := run(t, ""); code != 2 || !strings.Contains(errOut, "rollback") {
		t.Fatalf("no command: exit %d\n%s", code, errOut)
	}
	if _, errOut, code := run(t, "", "deploy-everything"); code != 2 || !strings.Contains(errOut, `unknown command "deploy-everything"`) {
		t.Fatalf("unknown command: exit %d\n%s", code, errOut)
	}
	if _, _, code := run(t, "", "help"); code != 0 {
		t.Fatalf("help: exit %d", code)
	}
}

func TestPreviewSummaryCommand(t *testing.T) {
	data, err := os.ReadFile("../../internal/previewsummary/testdata/slowprog-rename.json")
	if err != nil {
		t.Fatal(err)
	}
	out, _, code := run(t, string(data), "preview-summary", "--stack", "railiance01")
	if code != 0 || !strings.Contains(out, "### Pulumi preview: railiance01") {
		t.Fatalf("exit %d\n%s", code, out)
	}
	errJSON, _ := os.ReadFile("../../internal/previewsummary/testdata/slowprog-error.json")
	if _, errOut, code := run(t, string(errJSON), "preview-summary", "--stack", "x"); code != 1 || !strings.Contains(errOut, "1 error(s)") {
		t.Fatalf("a preview with errors must exit 1: %d %s", code, errOut)
	}
	// A preview that died before printing JSON still gets a summary, quoting its stderr.
	stderrFile := filepath.Join(t.TempDir(), "err")
	os.WriteFile(stderrFile, []byte("Previewing update (x):\nerror: readiness gate: nodes: no Ready node\n"), 0o600)
	out, _, code = run(t, "", "preview-summary", "--stack", "x", "--stderr-file", stderrFile)
	if code != 1 || !strings.Contains(out, "**The preview failed:**") || !strings.Contains(out, "no Ready node") {
		t.Fatalf("exit %d\n%s", code, out)
	}
}

func TestGiteaCommentCommand(t *testing.T) {
	var got struct{ path, auth, body string }
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got.path, got.auth, got.body = r.URL.Path, r.Header.Get("Authorization"), string(b)
		w.WriteHeader(http.StatusCreated)
		fmt.Fprint(w, `{"id":3,"html_url":"http://x/pulls/5#issuecomment-3"}`)
	}))
	defer srv.Close()
	t.Setenv("TEST_GITEA_TOKEN", "tok")
	out, errOut, code := run(t, "### summary\n", "gitea-comment", "--server", srv.URL, "--repo", "coulomb/deploy",
		"--pr", "5", "--token-env", "TEST_GITEA_TOKEN", "--new")
	if code != 0 || !strings.Contains(out, "posted comment 3") {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	if got.path != "/api/v1/repos/coulomb/deploy/issues/5/comments" || got.auth != "token tok" || !strings.Contains(got.body, "### summary") {
		t.Fatalf("request %+v", got)
	}
	t.Setenv("TEST_GITEA_TOKEN", "")
	if _, errOut, code := run(t, "x", "gitea-comment", "--server", srv.URL, "--repo", "a/b", "--pr", "5", "--token-env", "TEST_GITEA_TOKEN"); code != 2 || !strings.Contains(errOut, "TEST_GITEA_TOKEN is empty") {
		t.Fatalf("missing token: exit %d %s", code, errOut)
	}
}

func TestSmokeCommand(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/":
			fmt.Fprint(w, `<html><head><link rel="stylesheet" href="/app.css"></head><body>Inter-Hub</body></html>`)
		case "/api/v2/hubs":
			if r.Header.Get("Authorization") != "Bearer smoke-key" {
				w.WriteHeader(http.StatusUnauthorized)
				return
			}
			fmt.Fprint(w, "[]")
		case "/app.css":
			w.Header().Set("Content-Type", "text/css")
			fmt.Fprint(w, "body{}")
		case "/capabilities":
			fmt.Fprint(w, `{"app":"inter-hub"}`)
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	t.Setenv("TEST_API_KEY", "smoke-key")
	out, _, code := run(t, "", "smoke", "--url", srv.URL, "--api-key-env", "TEST_API_KEY")
	if code != 0 || strings.Count(out, "PASS") != 5 || strings.Contains(out, "smoke-key") ||
		!strings.Contains(out, "NOTE  admin login and dashboards not checked: no --stack to read inter-hub:smoke.dashboards from") {
		t.Fatalf("exit %d\n%s", code, out)
	}
	t.Setenv("TEST_API_KEY", "wrong")
	out, _, code = run(t, "", "smoke", "--url", srv.URL, "--api-key-env", "TEST_API_KEY")
	if code != 1 || !strings.Contains(out, "FAIL  API /api/v2/hubs with key") || !strings.Contains(out, "1 check(s) failed") {
		t.Fatalf("exit %d\n%s", code, out)
	}
	t.Setenv("TEST_API_KEY", "")
	if _, errOut, code := run(t, "", "smoke", "--url", srv.URL, "--api-key-env", "TEST_API_KEY"); code != 2 || !strings.Contains(errOut, "TEST_API_KEY is empty") {
		t.Fatalf("exit %d %s", code, errOut)
	}
	t.Setenv("TEST_API_KEY", "smoke-key")
	if _, errOut, code := run(t, "", "smoke", "--url", srv.URL, "--api-key-env", "TEST_API_KEY", "--restart", "nodeployment"); code != 2 || !strings.Contains(errOut, "namespace/deployment") {
		t.Fatalf("exit %d %s", code, errOut)
	}
}

// demoStack creates stack demo of a project inter-hub on a fresh file backend with the real
// CLI, sets config (plain) and secrets in its stack file, moves that file to configFile when
// one is named, and runs the rest of the test in the project with the CLI's environment.
func demoStack(t *testing.T, config, secrets map[string]string, configFile string) {
	t.Helper()
	ws := clirun.Require(t).NewProject(t, "inter-hub", "/bin/true", nil)
	ws.MustRun(t, time.Minute, "stack", "init", "demo")
	for k, v := range config {
		ws.MustRun(t, time.Minute, "config", "set", "--stack", "demo", k, v)
	}
	for k, v := range secrets {
		ws.MustRun(t, time.Minute, "config", "set", "--stack", "demo", "--secret", k, v)
	}
	if configFile != "" {
		if err := os.Rename(filepath.Join(ws.Dir, "Pulumi.demo.yaml"), filepath.Join(ws.Dir, configFile)); err != nil {
			t.Fatal(err)
		}
	}
	for _, kv := range ws.Env {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
	t.Chdir(ws.Dir)
}

// With --stack the dashboards come from the stack's inter-hub:smoke.dashboards and are opened
// after the admin login; the credentials come from the environment and are never printed.
func TestSmokeCommandChecksTheStacksDashboards(t *testing.T) {
	const email, password = "ops@inter-hub.test", "a long admin password"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		signedIn := false
		if c, err := r.Cookie("s"); err == nil && c.Value == "ok" {
			signedIn = true
		}
		switch {
		case r.URL.Path == "/":
			fmt.Fprint(w, `<html><head><link rel="stylesheet" href="/app.css"></head><body>Inter-Hub</body></html>`)
		case r.URL.Path == "/api/v2/hubs" && r.Header.Get("Authorization") == "Bearer smoke-key":
			fmt.Fprint(w, "[]")
		case r.URL.Path == "/api/v2/hubs":
			w.WriteHeader(http.StatusUnauthorized)
		case r.URL.Path == "/app.css":
			w.Header().Set("Content-Type", "text/css")
			fmt.Fprint(w, "body{}")
		case r.URL.Path == "/capabilities":
			fmt.Fprint(w, `{"app":"inter-hub"}`)
		case r.URL.Path == "/admin/login" && r.Method == http.MethodPost:
			if r.PostFormValue("email") != email || r.PostFormValue("password") != password {
				w.WriteHeader(http.StatusUnauthorized)
				fmt.Fprint(w, "<html>wrong</html>")
				return
			}
			http.SetCookie(w, &http.Cookie{Name: "s", Value: "ok", Path: "/"})
			http.Redirect(w, r, "/admin", http.StatusFound)
		case r.URL.Path == "/admin/login":
			fmt.Fprint(w, "<html><form></form></html>")
		case !signedIn:
			http.Redirect(w, r, "/admin/login", http.StatusFound)
		case r.URL.Path == "/admin" || r.URL.Path == "/admin/d/one" || r.URL.Path == "/admin/d/two":
			fmt.Fprint(w, "<html>dashboard</html>")
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	t.Setenv("TEST_API_KEY", "smoke-key")
	t.Setenv("TEST_ADMIN_EMAIL", email)
	t.Setenv("TEST_ADMIN_PASSWORD", password)
	smoke := func(extra ...string) (string, string, int) {
		return run(t, "", append([]string{"smoke", "--url", srv.URL, "--api-key-env", "TEST_API_KEY",
			"--admin-email-env", "TEST_ADMIN_EMAIL", "--admin-password-env", "TEST_ADMIN_PASSWORD"}, extra...)...)
	}
	// The stack's config is in another file than Pulumi.demo.yaml: only --config-file finds it.
	demoStack(t, map[string]string{
		"inter-hub:app.replicas":     "2",
		"inter-hub:smoke.dashboards": `["/admin/d/one","/admin/d/two"]`,
	}, map[string]string{"inter-hub:postgres.adminPassword": "not read"}, "Pulumi.demo.other.yaml")
	out, errOut, code := smoke("--stack", "demo", "--config-file", "Pulumi.demo.other.yaml")
	if code != 0 || strings.Count(out, "PASS") != 8 || !strings.Contains(out, "PASS  dashboard /admin/d/two") {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	if strings.Contains(out, email) || strings.Contains(out, password) {
		t.Fatalf("a credential is printed:\n%s", out)
	}
	if err := os.Rename("Pulumi.demo.other.yaml", "Pulumi.demo.yaml"); err != nil {
		t.Fatal(err)
	}

	// A wrong password fails the login and leaves the dashboards unchecked.
	t.Setenv("TEST_ADMIN_PASSWORD", "not the password")
	out, _, code = smoke("--stack", "demo")
	if code != 1 || !strings.Contains(out, "FAIL  admin login POST /admin/login") || !strings.Contains(out, "3 check(s) failed") ||
		strings.Contains(out, "not the password") {
		t.Fatalf("exit %d\n%s", code, out)
	}
	// Dashboards without credentials: a usage error naming the variable.
	t.Setenv("TEST_ADMIN_PASSWORD", "")
	if _, errOut, code := smoke("--stack", "demo"); code != 2 || !strings.Contains(errOut, "TEST_ADMIN_PASSWORD is empty or unset") {
		t.Fatalf("exit %d %s", code, errOut)
	}

	// The key unset: the checks run without the admin area and say so.
	t.Setenv("TEST_ADMIN_PASSWORD", password)
	demoStack(t, map[string]string{"inter-hub:app.replicas": "2"}, nil, "")
	out, _, code = smoke("--stack", "demo")
	if code != 0 || strings.Count(out, "PASS") != 5 ||
		!strings.Contains(out, "NOTE  admin login and dashboards not checked: inter-hub:smoke.dashboards is not set for stack demo") {
		t.Fatalf("exit %d\n%s", code, out)
	}
	// An invalid list is refused as the program refuses it, naming the key.
	demoStack(t, map[string]string{"inter-hub:smoke.dashboards": `["/a","/a"]`}, nil, "")
	if _, errOut, code := smoke("--stack", "demo"); code != 2 || !strings.Contains(errOut, `inter-hub:smoke.dashboards: "/a" is listed more than once`) {
		t.Fatalf("exit %d %s", code, errOut)
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestAppRevisionCommand(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "Pulumi.yaml"), []byte("name: inter-hub\nruntime: go\n"), 0o644)
	stackFile := filepath.Join(dir, "Pulumi.prod.yaml")
	orig := "# The production stack.\n#   pulumi config set app.revision <commit>   # CI sets it\nconfig:\n  # where it runs\n  inter-hub:kubernetes.namespace: inter-hub\n  inter-hub:registry.password:\n    secure: v1:abc\nencryptionsalt: x\n"
	os.WriteFile(stackFile, []byte(orig), 0o600)

	// Nothing recorded yet: exit 1 and say how to record one.
	if out, errOut, code := run(t, "", "app-revision", "--stack", "prod", "--dir", dir); code != 1 || out != "" || !strings.Contains(errOut, "records no inter-hub:app.revision") {
		t.Fatalf("unset: exit %d %q %q", code, out, errOut)
	}
	// Recording adds one line at the top of the config block and keeps everything else.
	out, errOut, code := run(t, "", "app-revision", "--stack", "prod", "--dir", dir, "--set", "0123abcd")
	if code != 0 || !strings.Contains(out, "(none) -> 0123abcd") {
		t.Fatalf("set: exit %d %q %q", code, out, errOut)
	}
	data, _ := os.ReadFile(stackFile)
	want := strings.Replace(orig, "config:\n", "config:\n  inter-hub:app.revision: \"0123abcd\"\n", 1)
	if string(data) != want {
		t.Fatalf("stack file after set:\n%s\nwant:\n%s", data, want)
	}
	if info, _ := os.Stat(stackFile); info.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600 kept", info.Mode().Perm())
	}
	// A second revision replaces that line in place.
	if out, _, code := run(t, "", "app-revision", "--stack", "prod", "--dir", dir, "--set", "v2"); code != 0 || !strings.Contains(out, "0123abcd -> v2") {
		t.Fatalf("second set: exit %d %q", code, out)
	}
	data, _ = os.ReadFile(stackFile)
	if string(data) != strings.Replace(want, `"0123abcd"`, `"v2"`, 1) {
		t.Fatalf("stack file after the second set:\n%s", data)
	}
	if out, _, code := run(t, "", "app-revision", "--stack", "prod", "--dir", dir); code != 0 || out != "v2\n" {
		t.Fatalf("get: exit %d %q", code, out)
	}
	// What the program would refuse is refused here too, and the file is left alone.
	for _, bad := range []string{"-x", "a..b", "x.lock", "a b"} {
		if _, _, code := run(t, "", "app-revision", "--stack", "prod", "--dir", dir, "--set", bad); code != 2 {
			t.Errorf("--set %q: exit %d", bad, code)
		}
	}
	if after, _ := os.ReadFile(stackFile); string(after) != string(data) {
		t.Fatal("a refused revision changed the file")
	}
	// A secret value is not overwritten with a plain one.
	os.WriteFile(stackFile, []byte("config:\n  inter-hub:app.revision:\n    secure: v1:abc\n"), 0o600)
	if _, errOut, code := run(t, "", "app-revision", "--stack", "prod", "--dir", dir, "--set", "v3"); code != 2 || !strings.Contains(errOut, "not a plain") {
		t.Fatalf("secure value: exit %d %q", code, errOut)
	}
}

// The committed stack files take a recorded revision without any other change.
func TestAppRevisionOnTheStackFiles(t *testing.T) {
	for _, stack := range []string{"local", "railiance01"} {
		data, err := os.ReadFile(filepath.Join("..", "..", "Pulumi."+stack+".yaml"))
		if err != nil {
			t.Fatal(err)
		}
		out, err := setConfigValue(data, "inter-hub:app.revision", "f00dfeed")
		if err != nil {
			t.Fatalf("%s: %v", stack, err)
		}
		var added, removed []string
		a, b := strings.Split(string(data), "\n"), strings.Split(string(out), "\n")
		seen := map[string]int{}
		for _, l := range a {
			seen[l]++
		}
		for _, l := range b {
			if seen[l] > 0 {
				seen[l]--
			} else {
				added = append(added, l)
			}
		}
		for l, n := range seen {
			for ; n > 0; n-- {
				removed = append(removed, l)
			}
		}
		if len(added) != 1 || !strings.Contains(added[0], `inter-hub:app.revision: "f00dfeed"`) || len(removed) > 1 {
			t.Errorf("%s: added %q, removed %q", stack, added, removed)
		}
	}
}

func TestGiteaCommentEditsItsOwnComment(t *testing.T) {
	type comment struct {
		ID   int64  `json:"id"`
		Body string `json:"body"`
		User struct {
			ID int64 `json:"id"`
		} `json:"user"`
	}
	var comments []comment
	var calls []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls = append(calls, r.Method+" "+r.URL.Path)
		var in struct{ Body string }
		json.NewDecoder(r.Body).Decode(&in)
		switch {
		case r.Method == http.MethodGet && r.URL.Path == "/api/v1/user":
			fmt.Fprint(w, `{"id":9,"login":"gitea-actions"}`)
		case r.Method == http.MethodGet && r.URL.Path == "/api/v1/repos/o/r/issues/5/comments":
			json.NewEncoder(w).Encode(comments)
		case r.Method == http.MethodPost && r.URL.Path == "/api/v1/repos/o/r/issues/5/comments":
			c := comment{ID: int64(100 + len(comments)), Body: in.Body}
			c.User.ID = 9
			comments = append(comments, c)
			w.WriteHeader(http.StatusCreated)
			json.NewEncoder(w).Encode(c)
		case r.Method == http.MethodPatch && strings.HasPrefix(r.URL.Path, "/api/v1/repos/o/r/issues/comments/"):
			for i := range comments {
				if fmt.Sprint(comments[i].ID) == strings.TrimPrefix(r.URL.Path, "/api/v1/repos/o/r/issues/comments/") {
					comments[i].Body = in.Body
					json.NewEncoder(w).Encode(comments[i])
					return
				}
			}
			w.WriteHeader(http.StatusNotFound)
		default:
			w.WriteHeader(http.StatusNotFound)
		}
	}))
	defer srv.Close()
	t.Setenv("TEST_GITEA_TOKEN", "tok")
	// Somebody else's comment quoting the marker is not ours to edit.
	other := comment{ID: 50, Body: "quoting " + previewMarker}
	other.User.ID = 3
	comments = append(comments, other)
	args := []string{"gitea-comment", "--server", srv.URL, "--repo", "o/r", "--pr", "5", "--token-env", "TEST_GITEA_TOKEN"}
	out, errOut, code := run(t, "### first\n", args...)
	if code != 0 || !strings.HasPrefix(out, "posted comment 101") {
		t.Fatalf("first: exit %d %q %q", code, out, errOut)
	}
	out, errOut, code = run(t, "### second\n", args...)
	if code != 0 || !strings.HasPrefix(out, "edited comment 101") {
		t.Fatalf("second: exit %d %q %q", code, out, errOut)
	}
	if len(comments) != 2 || !strings.Contains(comments[1].Body, "### second") || !strings.Contains(comments[1].Body, previewMarker) ||
		comments[0].Body != other.Body {
		t.Fatalf("comments %+v", comments)
	}
	if out, _, code := run(t, "### third\n", append(args, "--new")...); code != 0 || !strings.HasPrefix(out, "posted comment 102") {
		t.Fatalf("--new: exit %d %q", code, out)
	}
}

func TestGiteaRepoConfigCommand(t *testing.T) {
	got := map[string]string{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var in map[string]string
		json.NewDecoder(r.Body).Decode(&in)
		switch {
		case r.Method == http.MethodPut && strings.HasPrefix(r.URL.Path, "/api/v1/repos/o/r/actions/variables/"):
			w.WriteHeader(http.StatusNotFound) // not there yet: the client creates it
		case r.Method == http.MethodPost && strings.HasPrefix(r.URL.Path, "/api/v1/repos/o/r/actions/variables/"):
			got["var "+strings.TrimPrefix(r.URL.Path, "/api/v1/repos/o/r/actions/variables/")] = in["value"]
			w.WriteHeader(http.StatusCreated)
		case r.Method == http.MethodPut && strings.HasPrefix(r.URL.Path, "/api/v1/repos/o/r/actions/secrets/"):
			got["secret "+strings.TrimPrefix(r.URL.Path, "/api/v1/repos/o/r/actions/secrets/")] = in["data"]
			w.WriteHeader(http.StatusCreated)
		default:
			w.WriteHeader(http.StatusNotFound)
		}
	}))
	defer srv.Close()
	t.Setenv("TEST_GITEA_TOKEN", "tok")
	t.Setenv("PULUMI_CONFIG_PASSPHRASE", "pass phrase")
	kube := filepath.Join(t.TempDir(), "kubeconfig")
	os.WriteFile(kube, []byte("apiVersion: v1\n"), 0o600)
	base := []string{"gitea-repo-config", "--server", srv.URL, "--repo", "o/r", "--token-env", "TEST_GITEA_TOKEN"}
	out, errOut, code := run(t, "", append(base, "--var", "STACK=local", "--var", "RUNNER_LABEL=inter-hub-local",
		"--secret", "PULUMI_CONFIG_PASSPHRASE", "--secret", "RAILIANCE01_KUBECONFIG=@"+kube)...)
	if code != 0 {
		t.Fatalf("exit %d %q %q", code, out, errOut)
	}
	want := map[string]string{"var STACK": "local", "var RUNNER_LABEL": "inter-hub-local",
		"secret PULUMI_CONFIG_PASSPHRASE": "pass phrase", "secret RAILIANCE01_KUBECONFIG": "apiVersion: v1\n"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("set %v, want %v", got, want)
	}
	if strings.Contains(out, "pass phrase") {
		t.Fatalf("a secret's value was printed: %q", out)
	}
	// A secret's value on the command line is refused; so is an unset variable.
	for _, bad := range [][]string{{"--secret", "X=value"}, {"--secret", "INTERHUB_NO_SUCH_VARIABLE"}, {"--var", "NOEQUALS"}, {}} {
		if _, _, code := run(t, "", append(base, bad...)...); code != 2 {
			t.Errorf("%q: exit %d", bad, code)
		}
	}
}

func TestGiteaDispatchCommand(t *testing.T) {
	polls := 0
	var dispatched map[string]any
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.Method == http.MethodPost && r.URL.Path == "/api/v1/repos/o/deploy/actions/workflows/deploy.yaml/dispatches":
			if r.URL.Query().Get("return_run_details") != "true" {
				w.WriteHeader(http.StatusNoContent)
				return
			}
			json.NewDecoder(r.Body).Decode(&dispatched)
			fmt.Fprint(w, `{"workflow_run_id":42}`)
		case r.Method == http.MethodGet && r.URL.Path == "/api/v1/repos/o/deploy/actions/runs/42":
			polls++
			if polls < 3 {
				fmt.Fprint(w, `{"id":42,"status":"in_progress","html_url":"http://g/o/deploy/actions/runs/42"}`)
				return
			}
			fmt.Fprint(w, `{"id":42,"status":"completed","conclusion":"failure","html_url":"http://g/o/deploy/actions/runs/42"}`)
		default:
			w.WriteHeader(http.StatusNotFound)
		}
	}))
	defer srv.Close()
	t.Setenv("TEST_GITEA_TOKEN", "tok")
	base := []string{"gitea-dispatch", "--server", srv.URL, "--repo", "o/deploy", "--token-env", "TEST_GITEA_TOKEN", "--input", "app_revision=abc123"}
	out, errOut, code := run(t, "", base...)
	if code != 0 || !strings.Contains(out, "started run 42 of deploy.yaml") {
		t.Fatalf("exit %d %q %q", code, out, errOut)
	}
	if fmt.Sprint(dispatched) != "map[inputs:map[app_revision:abc123] ref:main]" {
		t.Fatalf("dispatched %v", dispatched)
	}
	// --wait follows the run and exits with its result.
	polls = 0
	out, _, code = run(t, "", append(base, "--wait", "30s")...)
	if code != 1 || !strings.Contains(out, "run 42: failure") {
		t.Fatalf("--wait: exit %d %q", code, out)
	}
}

func TestInitSecretsUsage(t *testing.T) {
	for _, args := range [][]string{
		{"init-secrets"},
		{"init-secrets", "--stack", "railiance01"},
		{"init-secrets", "--age-recipient", "age1x"},
	} {
		if _, errOut, code := run(t, "", args...); code != 2 || !strings.Contains(errOut, "--stack and --age-recipient are required") {
			t.Errorf("%v: code %d, %q", args, code, errOut)
		}
	}
	if _, errOut, code := run(t, "", "init-secrets", "--stack", "s", "--age-recipient", "age1x", "--set", "NOVALUE"); code != 2 ||
		!strings.Contains(errOut, `want NAME=VALUE, not "NOVALUE"`) {
		t.Errorf("bad --set: code %d, %q", code, errOut)
	}
	if _, errOut, code := run(t, "A=1\nA=2\n", "init-secrets", "--stack", "s", "--age-recipient", "age1x", "--values-from-stdin"); code != 2 ||
		!strings.Contains(errOut, "stdin: line 2: A given twice") {
		t.Errorf("duplicate on stdin: code %d, %q", code, errOut)
	}
}

// The command end to end with the real sops: values from stdin, the file readable by the
// recipient's identity.
func TestInitSecretsCommand(t *testing.T) {
	if _, err := exec.LookPath("sops"); err != nil {
		if os.Getenv("INTERHUB_REQUIRE_TOOLS") != "" {
			t.Fatalf("sops not on PATH: %v", err)
		}
		t.Skip("sops not on PATH")
	}
	dir := t.TempDir()
	for name, from := range map[string]string{"Pulumi.yaml": "../../Pulumi.yaml", ".sops.yaml": "../../.sops.yaml"} {
		data, err := os.ReadFile(from)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.MkdirAll(filepath.Join(dir, "deploy", "secrets"), 0o755); err != nil {
		t.Fatal(err)
	}
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	out, errOut, code := run(t, "# from the password manager\nSMTP_PASSWORD=smtp-s3cret=with-equals\n",
		"init-secrets", "--stack", "railiance01", "--age-recipient", id.Recipient().String(), "--repo", dir, "--values-from-stdin")
	if code != 0 {
		t.Fatalf("code %d: %s", code, errOut)
	}
	for _, want := range []string{"created deploy/secrets/railiance01.env.sops.yaml", "  INTERHUB_API_KEY (generated)", "  IHP_ENV (default)",
		"  SMTP_PASSWORD\n", ".sops.yaml: the rule for deploy/secrets/railiance01.env.sops.yaml held the placeholder"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "smtp-s3cret") {
		t.Error("the output shows a value")
	}
	t.Setenv("SOPS_AGE_KEY_FILE", "")
	t.Setenv("SOPS_AGE_KEY", id.String())
	values, err := sopsfile.Decrypt(filepath.Join(dir, "deploy/secrets/railiance01.env.sops.yaml"), "")
	if err != nil || values["SMTP_PASSWORD"] != "smtp-s3cret=with-equals" || len(values["INTERHUB_API_KEY"]) != 64 {
		t.Errorf("decrypted: %v, %v", values, err)
	}
}
