package smoke

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// The watch streams in testdata are watch events as the apiserver sends them for
// GET /api/v1/namespaces/NS/pods?watch=true ({"type": ..., "object": pod}, one JSON document
// after another; indented here, which the decoder does not mind) for a Deployment of two pods
// (inter-hub-5d4f8c7b9-7xk2p and -q9w4r) replaced by two new ones during a rollout restart. They
// are written for these tests, not recorded: test/ops runs the same code against the stand-in's
// apiserver and kubelet.

// fakeAPIServer serves one Deployment and its pods the way the apiserver and the deployment
// controller do: a restart patch bumps the generation, and the rollout then advances one step per
// status read. The pods come from testdata.
type fakeAPIServer struct {
	mu         sync.Mutex
	token      string
	generation int64
	replicas   int32
	steps      int // status reads left until the rollout is complete
	stuck      bool
	patch      string
	patchType  string
	manager    string

	// podsFile is the pod list and streamFile the watch's events (files in testdata; none when
	// empty). After its events the watch stays open until the client goes, as the apiserver's
	// does, unless endWatch; watchForbidden refuses the watch.
	podsFile, streamFile     string
	endWatch, watchForbidden bool
	// calls are the requests in the order they came: "GET deployment", "list pods SELECTOR",
	// "watch pods SELECTOR", "PATCH deployment".
	calls []string
}

const fakePodsPath = "/api/v1/namespaces/inter-hub/pods"

func (f *fakeAPIServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	if r.Header.Get("Authorization") != "Bearer "+f.token {
		f.mu.Unlock()
		w.WriteHeader(http.StatusUnauthorized)
		fmt.Fprint(w, `{"kind":"Status","message":"Unauthorized"}`)
		return
	}
	if r.URL.Path == fakePodsPath && r.Method == http.MethodGet {
		// Served without the lock: a watch stays open.
		f.mu.Unlock()
		f.servePods(w, r)
		return
	}
	defer f.mu.Unlock()
	if r.URL.Path != "/apis/apps/v1/namespaces/inter-hub/deployments/inter-hub" {
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprint(w, `{"kind":"Status","message":"deployments.apps \"x\" not found"}`)
		return
	}
	f.calls = append(f.calls, r.Method+" deployment")
	status := map[string]any{"observedGeneration": f.generation, "replicas": f.replicas,
		"updatedReplicas": f.replicas, "availableReplicas": f.replicas}
	switch r.Method {
	case http.MethodPatch:
		b, _ := io.ReadAll(r.Body)
		f.patch, f.patchType, f.manager = string(b), r.Header.Get("Content-Type"), r.URL.Query().Get("fieldManager")
		f.generation++
		f.steps = 3
		status["observedGeneration"] = f.generation - 1
	case http.MethodGet:
		switch {
		case f.stuck:
			status["updatedReplicas"] = 1
			status["conditions"] = []map[string]string{{"type": "Progressing", "reason": "ProgressDeadlineExceeded",
				"message": `ReplicaSet "inter-hub-2" has timed out progressing.`}}
		case f.steps == 3:
			status["observedGeneration"] = f.generation - 1
		case f.steps == 2:
			status["updatedReplicas"], status["replicas"] = 1, f.replicas+1
		case f.steps == 1:
			status["availableReplicas"] = f.replicas - 1
		}
		if f.steps > 0 {
			f.steps--
		}
	default:
		w.WriteHeader(http.StatusMethodNotAllowed)
		return
	}
	json.NewEncoder(w).Encode(map[string]any{
		"metadata": map[string]any{"generation": f.generation},
		"spec": map[string]any{"replicas": f.replicas, "selector": map[string]any{"matchLabels": map[string]string{
			"app.kubernetes.io/name": "inter-hub", "app.kubernetes.io/instance": "inter-hub"}}},
		"status": status,
	})
}

func (f *fakeAPIServer) servePods(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	watch := q.Get("watch") == "true"
	call := "list pods " + q.Get("labelSelector")
	if watch {
		call = "watch pods " + q.Get("labelSelector")
	}
	if q.Has("resourceVersion") {
		call += " from " + q.Get("resourceVersion")
	}
	f.mu.Lock()
	f.calls = append(f.calls, call)
	podsFile, streamFile, endWatch, forbidden := f.podsFile, f.streamFile, f.endWatch, f.watchForbidden
	f.mu.Unlock()

	read := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			w.WriteHeader(http.StatusInternalServerError)
			return nil
		}
		return b
	}
	switch {
	case !watch && podsFile == "":
		fmt.Fprint(w, `{"kind":"PodList","items":[]}`)
	case !watch:
		w.Write(read(podsFile))
	case forbidden:
		w.WriteHeader(http.StatusForbidden)
		fmt.Fprint(w, `{"kind":"Status","message":"pods is forbidden: cannot watch resource \"pods\""}`)
	default:
		w.Header().Set("Content-Type", "application/json")
		if streamFile != "" {
			w.Write(read(streamFile))
		}
		w.(http.Flusher).Flush()
		if !endWatch {
			<-r.Context().Done()
		}
	}
}

func (f *fakeAPIServer) called() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.calls...)
}

func writeKubeconfig(t *testing.T, srv *httptest.Server, token string) string {
	t.Helper()
	ca := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	cfg := fmt.Sprintf(`apiVersion: v1
kind: Config
current-context: test
clusters:
- name: c
  cluster:
    server: %s
    certificate-authority-data: %s
contexts:
- name: test
  context: {cluster: c, user: u}
users:
- name: u
  user: {token: %s}
`, srv.URL, base64.StdEncoding.EncodeToString(ca), token)
	path := filepath.Join(t.TempDir(), "kubeconfig")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// The rollout restart works without kubectl: a patch as kubectl makes it, then a wait until the
// new replicas are all updated and available.
func TestRestartWithoutKubectl(t *testing.T) {
	f := &fakeAPIServer{token: "sa-token", generation: 4, replicas: 2}
	srv := httptest.NewTLSServer(f)
	defer srv.Close()
	r := Restart{Kubeconfig: writeKubeconfig(t, srv, "sa-token"), Namespace: "inter-hub", Deployment: "inter-hub",
		Timeout: 10 * time.Second, Poll: 10 * time.Millisecond}
	if _, err := r.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if f.patchType != "application/strategic-merge-patch+json" || f.manager != "kubectl-rollout" ||
		!strings.Contains(f.patch, `"kubectl.kubernetes.io/restartedAt"`) {
		t.Fatalf("patch %s %q (manager %q)", f.patchType, f.patch, f.manager)
	}
	if f.steps != 0 {
		t.Fatalf("returned before the rollout finished (%d status steps left)", f.steps)
	}

	// A rollout that stopped progressing fails at once and says so.
	f.stuck = true
	_, err := r.Run(context.Background())
	if err == nil || !strings.Contains(err.Error(), "progress deadline") {
		t.Fatalf("stuck rollout: %v", err)
	}
	// One that does not finish in time fails naming what it waits for.
	f.stuck = false
	r.Timeout = 20 * time.Millisecond
	r.Poll = time.Hour
	if _, err := r.Run(context.Background()); err == nil || !strings.Contains(err.Error(), "not finished within") {
		t.Fatalf("timeout: %v", err)
	}
	// Wrong credentials and a wrong Deployment are named.
	bad := Restart{Kubeconfig: writeKubeconfig(t, srv, "wrong"), Namespace: "inter-hub", Deployment: "inter-hub"}
	if _, err := bad.Run(context.Background()); err == nil || !strings.Contains(err.Error(), "HTTP 401") {
		t.Fatalf("wrong token: %v", err)
	}
	missing := Restart{Kubeconfig: r.Kubeconfig, Namespace: "inter-hub", Deployment: "nope"}
	if _, err := missing.Run(context.Background()); err == nil || !strings.Contains(err.Error(), "HTTP 404") {
		t.Fatalf("missing deployment: %v", err)
	}
}

func before(t *testing.T) []pod {
	t.Helper()
	var list struct {
		Items []pod `json:"items"`
	}
	raw, err := os.ReadFile(filepath.Join("testdata", "pods-before.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &list); err != nil {
		t.Fatal(err)
	}
	return list.Items
}

func replay(t *testing.T, stream string) []Result {
	t.Helper()
	tr := newPodTracker(before(t))
	f, err := os.Open(filepath.Join("testdata", stream))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := feed(f, tr); err == nil || err.Error() != "the apiserver closed the watch" {
		t.Fatalf("feed: %v", err)
	}
	return tr.results(nil)
}

func TestOldPodEndsFromTheWatch(t *testing.T) {
	const a, b = "old pod inter-hub-5d4f8c7b9-7xk2p", "old pod inter-hub-5d4f8c7b9-q9w4r"
	cases := []struct {
		stream       string
		okA, okB     bool
		seenA, seenB string
	}{
		{"watch-clean.json", true, true,
			"app: exit 0 (Completed) 1s after SIGTERM",
			"app: exit 0 (Completed) 1s after SIGTERM"},
		{"watch-unclean.json", false, false,
			"app: exit 137 (Error) 30s after SIGTERM: killed with SIGKILL, it had not exited when its grace period of 30s ran out",
			"app: exit 143 (Error) 1s after SIGTERM: ended by SIGTERM itself, without a clean shutdown (the app does not handle SIGTERM)"},
		// The exit is only in the DELETED event's object: it still counts.
		{"watch-deleted-only.json", true, false,
			"app: exit 0 (Completed) 1s after SIGTERM",
			"app: exit 137 (ContainerStatusUnknown): the kubelet could not find the container, its exit is unknown"},
		{"watch-forced-and-stuck.json", false, false,
			"app: no exit recorded, last seen running",
			"still there after the rollout and its grace period; app: no exit recorded, last seen running"},
	}
	for _, tc := range cases {
		t.Run(tc.stream, func(t *testing.T) {
			rs := replay(t, tc.stream)
			if len(rs) != 2 || rs[0].Name != a || rs[1].Name != b {
				t.Fatalf("want one result per old pod (the new ones are not judged): %+v", rs)
			}
			for i, want := range []struct {
				ok   bool
				seen string
			}{{tc.okA, tc.seenA}, {tc.okB, tc.seenB}} {
				if rs[i].OK != want.ok || rs[i].Seen != want.seen {
					t.Errorf("%s: OK %v, seen %q; want %v, %q", rs[i].Name, rs[i].OK, rs[i].Seen, want.ok, want.seen)
				}
				if rs[i].Expected != "gone, each container exited 0 after SIGTERM" {
					t.Errorf("expected %q", rs[i].Expected)
				}
			}
		})
	}
}

// An ERROR event (a Status, e.g. 410 Gone) ends the watch with the apiserver's message.
func TestWatchErrorEvent(t *testing.T) {
	tr := newPodTracker(before(t))
	stream := `{"type":"ERROR","object":{"kind":"Status","status":"Failure","message":"too old resource version: 1 (2)","reason":"Expired","code":410}}`
	err := feed(strings.NewReader(stream), tr)
	if err == nil || err.Error() != "the apiserver ended the watch with an error: too old resource version: 1 (2)" {
		t.Fatalf("feed: %v", err)
	}
}

func TestOldPodsAreThoseRunningBeforeTheRestart(t *testing.T) {
	pods := before(t)
	terminating := pods[1]
	now := time.Now()
	terminating.Metadata.DeletionTimestamp = &now
	tr := newPodTracker([]pod{pods[0], terminating})
	if len(tr.pods) != 1 || tr.pods[0].Name != "inter-hub-5d4f8c7b9-7xk2p" || tr.pods[0].Grace != 30*time.Second {
		t.Fatalf("old pods: %+v", tr.pods)
	}
	if tr.allSeen() || tr.allGone() {
		t.Fatal("nothing observed yet")
	}
	if (&OldPod{Name: "x", Gone: true}).Result().OK {
		t.Fatal("a pod without containers must not pass")
	}
}

func TestSelectorSyntax(t *testing.T) {
	var s labelSelector
	if err := json.Unmarshal([]byte(`{"matchLabels":{"b":"2","a":"1"},"matchExpressions":[
		{"key":"tier","operator":"In","values":["web","api"]},{"key":"x","operator":"NotIn","values":["y"]},
		{"key":"e","operator":"Exists"},{"key":"d","operator":"DoesNotExist"}]}`), &s); err != nil {
		t.Fatal(err)
	}
	if got, want := s.String(), "a=1,b=2,tier in (web,api),x notin (y),e,!d"; got != want {
		t.Fatalf("selector %q, want %q", got, want)
	}
}

const podSelector = "app.kubernetes.io/instance=inter-hub,app.kubernetes.io/name=inter-hub"

// runRestart runs a restart of the fake's Deployment, its pods as the fake has them; with
// kubectl set, through that binary.
func runRestart(t *testing.T, f *fakeAPIServer, kubectl string) ([]Result, error) {
	t.Helper()
	f.token, f.generation, f.replicas = "sa-token", 4, 2
	srv := httptest.NewTLSServer(f)
	defer srv.Close()
	r := Restart{Kubectl: kubectl, Kubeconfig: writeKubeconfig(t, srv, "sa-token"), Context: "test",
		Namespace: "inter-hub", Deployment: "inter-hub",
		Timeout: time.Minute, Poll: 10 * time.Millisecond, StartTimeout: 2 * time.Second}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	start := time.Now()
	rs, err := r.Run(ctx)
	if time.Since(start) > 10*time.Second {
		t.Errorf("Run took %s", time.Since(start))
	}
	return rs, err
}

func patched(calls []string) bool {
	for _, c := range calls {
		if c == "PATCH deployment" {
			return true
		}
	}
	return false
}

func TestRestartRunReportsHowTheOldPodsEnded(t *testing.T) {
	f := &fakeAPIServer{podsFile: "pods-before.json", streamFile: "watch-clean.json"}
	rs, err := runRestart(t, f, "")
	if err != nil || len(rs) != 2 || Failed(rs) != 0 {
		t.Fatalf("clean restart: %v %+v", err, rs)
	}
	// The pods are listed and watched with the Deployment's selector, the watch from the pods as
	// they are (no resourceVersion), and the restart waits until the watch has reported them.
	calls := f.called()
	want := []string{"GET deployment", "list pods " + podSelector, "watch pods " + podSelector, "PATCH deployment"}
	if len(calls) < len(want) || fmt.Sprint(calls[:len(want)]) != fmt.Sprint(want) {
		t.Errorf("requests %q, want them to begin with %q", calls, want)
	}

	f = &fakeAPIServer{podsFile: "pods-before.json", streamFile: "watch-unclean.json"}
	rs, err = runRestart(t, f, "")
	if err != nil || Failed(rs) != 2 || !strings.Contains(rs[0].Seen, "killed with SIGKILL") {
		t.Fatalf("unclean restart: %v %+v", err, rs)
	}

	// The watch ends before the second pod goes: that pod fails, saying why.
	f = &fakeAPIServer{podsFile: "pods-before.json", streamFile: "watch-forced-and-stuck.json", endWatch: true}
	rs, err = runRestart(t, f, "")
	if err != nil || Failed(rs) != 2 || !strings.Contains(rs[1].Seen, "(the watch ended: the apiserver closed the watch)") {
		t.Fatalf("stuck pod: %v %+v", err, rs)
	}

	f = &fakeAPIServer{podsFile: "pods-before.json", streamFile: "watch-clean.json", stuck: true}
	if _, err := runRestart(t, f, ""); err == nil || !strings.Contains(err.Error(), "progress deadline") {
		t.Fatalf("a failed rollout must be an error: %v", err)
	}

	// A watch that reports nothing: no restart at all.
	f = &fakeAPIServer{podsFile: "pods-before.json"}
	_, err = runRestart(t, f, "")
	if err == nil || !strings.Contains(err.Error(), "did not report them within 2s") || patched(f.called()) {
		t.Fatalf("a silent watch must stop before the restart: %v\n%q", err, f.called())
	}
	// Nor when the apiserver refuses the watch, which is named.
	f = &fakeAPIServer{podsFile: "pods-before.json", streamFile: "watch-clean.json", watchForbidden: true}
	_, err = runRestart(t, f, "")
	if err == nil || !strings.Contains(err.Error(), "ended before it reported them") || !strings.Contains(err.Error(), "HTTP 403") ||
		patched(f.called()) {
		t.Fatalf("a refused watch must stop before the restart: %v\n%q", err, f.called())
	}
}

// fakeKubectl writes a kubectl that answers the rollout commands (rolloutFails makes `rollout
// status` fail) and logs its arguments to the returned file.
func fakeKubectl(t *testing.T, rolloutFails bool) (string, string) {
	t.Helper()
	dir := t.TempDir()
	log := filepath.Join(dir, "args")
	status := `echo 'deployment "inter-hub" successfully rolled out'`
	if rolloutFails {
		status = `echo 'error: timed out waiting for the condition' >&2; exit 1`
	}
	script := `#!/bin/sh
printf '%s\n' "$*" >> '` + log + `'
case "$*" in
*"rollout restart deployment/inter-hub"*) echo 'deployment.apps/inter-hub restarted' ;;
*"rollout status deployment/inter-hub"*) ` + status + ` ;;
*) echo "unexpected: $*" >&2; exit 1 ;;
esac
`
	bin := filepath.Join(dir, "kubectl")
	if err := os.WriteFile(bin, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return bin, log
}

// With Kubectl set, kubectl makes the restart and waits for the rollout; the old pods are
// watched through the apiserver all the same.
func TestRestartWithKubectlWatchesThePodsThroughTheAPI(t *testing.T) {
	bin, log := fakeKubectl(t, false)
	f := &fakeAPIServer{podsFile: "pods-before.json", streamFile: "watch-unclean.json"}
	rs, err := runRestart(t, f, bin)
	if err != nil || len(rs) != 2 || Failed(rs) != 2 || !strings.Contains(rs[1].Seen, "exit 143") {
		t.Fatalf("restart with kubectl: %v %+v", err, rs)
	}
	if calls := f.called(); patched(calls) || fmt.Sprint(calls) != fmt.Sprint([]string{"GET deployment",
		"list pods " + podSelector, "watch pods " + podSelector}) {
		t.Errorf("requests to the apiserver %q: want the Deployment and its pods only", calls)
	}
	args, _ := os.ReadFile(log)
	for _, want := range []string{
		"--namespace inter-hub --context test rollout restart deployment/inter-hub",
		"rollout status deployment/inter-hub --timeout 1m0s",
	} {
		if !strings.Contains(string(args), want) {
			t.Errorf("kubectl was not run with %q:\n%s", want, args)
		}
	}

	bin, _ = fakeKubectl(t, true)
	f = &fakeAPIServer{podsFile: "pods-before.json", streamFile: "watch-clean.json"}
	if _, err := runRestart(t, f, bin); err == nil || !strings.Contains(err.Error(), "timed out waiting for the condition") {
		t.Fatalf("a failed rollout must be an error: %v", err)
	}
}
