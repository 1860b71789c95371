package main

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/coulomb-social/inter-hub-deploy/internal/history"
	"github.com/coulomb-social/inter-hub-deploy/internal/rollback"
	"github.com/coulomb-social/inter-hub-deploy/stacks"
)

func run(t *testing.T, stdin string, args ...string) (string, string, int) {
	t.Helper()
	var out, errb bytes.Buffer
	code := dispatch(args, strings.NewReader(stdin), &out, &errb)
	return out.String(), errb.String(), code
}

// The keys rollback treats specially must be the program's keys.
func TestRollbackKeysAreStacksKeys(t *testing.T) {
	names := map[string]bool{}
	for _, k := range stacks.Keys {
		names[k.Name] = true
	}
	for _, k := range append(append([]string{appRevisionKey}, rotationKeys...), accountUserKeys...) {
		if !names[k] {
			t.Errorf("%s is not in stacks.Keys", k)
		}
	}
	o := rollbackOptions("inter-hub")
	if !o.Known("app.replicas") || o.Known("no.such.key") {
		t.Error("Known does not follow stacks.Keys")
	}
}

// A rollback to an update from before the pull account keeps the account, user and password.
func TestRollbackKeepsThePullAccount(t *testing.T) {
	str := func(s string) *string { return &s }
	then := map[string]history.ConfigValue{"inter-hub:app.revision": {Value: str("v1")}}
	now := map[string]history.ConfigValue{
		"inter-hub:app.revision":          {Value: str("v2")},
		"inter-hub:registry.pullUsername": {Value: str("interhub-pull")},
		"inter-hub:registry.pullPassword": {Value: str("v1:ciphertext"), Secret: true},
	}
	updates := []history.Update{
		{Version: 2, Kind: history.KindUpdate, Result: history.ResultSucceeded, Config: now},
		{Version: 1, Kind: history.KindUpdate, Result: history.ResultSucceeded, Config: then},
	}
	p, err := rollback.NewPlan(updates, 1, now, rollbackOptions("inter-hub"))
	if err != nil {
		t.Fatal(err)
	}
	if removed := p.Removals(); len(removed) != 0 {
		t.Errorf("the rollback removes %v", removed)
	}
	kept := map[string]bool{}
	for _, k := range p.Kept {
		kept[k.Key] = true
	}
	if !kept["inter-hub:registry.pullUsername"] || !kept["inter-hub:registry.pullPassword"] {
		t.Errorf("kept %+v, want the pull user and password", p.Kept)
	}
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
		"--pr", "5", "--token-env", "TEST_GITEA_TOKEN")
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
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	t.Setenv("TEST_API_KEY", "smoke-key")
	out, _, code := run(t, "", "smoke", "--url", srv.URL, "--api-key-env", "TEST_API_KEY")
	if code != 0 || strings.Count(out, "PASS") != 4 || strings.Contains(out, "smoke-key") {
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

func TestDriftCommandOnRecordedJSON(t *testing.T) {
	data, err := os.ReadFile("../../internal/previewsummary/testdata/slowprog-nochange.json")
	if err != nil {
		t.Fatal(err)
	}
	out, _, code := run(t, string(data), "drift", "--stack", "demo", "--json-stdin")
	if code != 0 || !strings.Contains(out, "no drift") {
		t.Fatalf("exit %d\n%s", code, out)
	}
	data, err = os.ReadFile("../../internal/drift/testdata/refresh-drift.json")
	if err != nil {
		t.Fatal(err)
	}
	out, _, code = run(t, string(data), "drift", "--stack", "demo", "--json-stdin")
	if code != 1 || !strings.Contains(out, "DRIFT: 2 resource(s)") || !strings.Contains(out, "PULUMI_K8S_ENABLE_PATCH_FORCE=true pulumi up --refresh --stack demo") {
		t.Fatalf("exit %d\n%s", code, out)
	}
	errJSON, _ := os.ReadFile("../../internal/previewsummary/testdata/slowprog-error.json")
	if _, errOut, code := run(t, string(errJSON), "drift", "--stack", "demo", "--json-stdin"); code != 2 || !strings.Contains(errOut, "drift unknown") {
		t.Fatalf("a failed refresh must exit 2: %d %s", code, errOut)
	}
}
