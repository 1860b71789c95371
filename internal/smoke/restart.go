package smoke

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/coulomb-social/inter-hub-deploy/internal/kubeconfig"
)

// Restart names the Deployment whose pods are restarted between two rounds of checks, to prove
// that nothing the app serves lives only in a pod (restart persistence), and that the app's old
// pods shut down cleanly when Kubernetes stops them: each container exits 0 after SIGTERM, within
// the grace period.
//
// It does what `kubectl rollout restart` and `kubectl rollout status` do: a new
// kubectl.kubernetes.io/restartedAt annotation on the pod template, then a wait until every
// replica is updated and available. By default it talks to the apiserver itself with the
// kubeconfig's credentials, so a deploy job needs no kubectl; with Kubectl set it runs that
// binary for the restart and the wait instead. The old pods are watched through the apiserver
// either way.
type Restart struct {
	Kubectl    string // kubectl binary for the restart and the wait; empty: call the apiserver directly
	Kubeconfig string
	Context    string // optional
	Namespace  string
	Deployment string
	Timeout    time.Duration // for the rollout; default 5 minutes
	Poll       time.Duration // between status reads of the direct path; default 1 s
	// StartTimeout bounds the wait for the pod watch to report the pods from before the
	// restart; default 30 s.
	StartTimeout time.Duration
}

// ParseTarget splits "namespace/deployment".
func ParseTarget(s string) (namespace, deployment string, err error) {
	ns, name, ok := strings.Cut(s, "/")
	if !ok || ns == "" || name == "" || strings.Contains(name, "/") {
		return "", "", fmt.Errorf("restart target %q: want namespace/deployment", s)
	}
	return ns, name, nil
}

// Run restarts the Deployment, waits until the rollout has finished and then until every pod
// from before the restart is gone, and returns one result per old pod: how its containers ended.
// The pods are watched from before the restart to their deletion (a watch request to the
// apiserver), because the kubelet records a container's exit code in the pod's status and then
// deletes the pod: the exit is in the API only between those two moments. An error means the
// restart itself failed.
func (r Restart) Run(ctx context.Context) ([]Result, error) {
	if r.Kubeconfig == "" {
		return nil, fmt.Errorf("restart of %s/%s: a kubeconfig is required", r.Namespace, r.Deployment)
	}
	timeout := r.Timeout
	if timeout <= 0 {
		timeout = 5 * time.Minute
	}
	startTimeout := r.StartTimeout
	if startTimeout <= 0 {
		startTimeout = 30 * time.Second
	}
	target, client, err := r.connect()
	if err != nil {
		return nil, err
	}
	defer client.CloseIdleConnections()
	name := r.Namespace + "/" + r.Deployment

	var d deployment
	if err := apiCall(ctx, client, target, http.MethodGet, r.deploymentPath(), "", nil, &d); err != nil {
		return nil, fmt.Errorf("reading deployment %s: %w", name, err)
	}
	selector := d.Spec.Selector.String()
	if selector == "" {
		return nil, fmt.Errorf("deployment %s has an empty selector", name)
	}
	podsPath := fmt.Sprintf("/api/v1/namespaces/%s/pods", url.PathEscape(r.Namespace))
	var list struct {
		Items []pod `json:"items"`
	}
	if err := apiCall(ctx, client, target, http.MethodGet, podsPath+"?"+url.Values{"labelSelector": {selector}}.Encode(),
		"", nil, &list); err != nil {
		return nil, fmt.Errorf("listing the pods of deployment %s: %w", name, err)
	}
	tracker := newPodTracker(list.Items)

	watchCtx, stopWatch := context.WithCancel(ctx)
	w := watchPods(watchCtx, client, target, podsPath, selector, tracker)
	defer func() { stopWatch(); w.wait() }()
	if !tracker.await(ctx, startTimeout, w.done, tracker.allSeen) {
		if err := w.err(); err != nil {
			return nil, fmt.Errorf("the watch of the pods (%s) ended before it reported them: %w", selector, err)
		}
		return nil, fmt.Errorf("the watch of the pods (%s) did not report them within %s", selector, startTimeout)
	}

	if r.Kubectl == "" {
		err = r.direct(ctx, client, target, timeout)
	} else {
		err = r.withKubectl(ctx, timeout)
	}
	if err != nil {
		return nil, err
	}
	// The rollout is over when the new pods are ready; the old ones may still be finishing their
	// requests. Wait for them up to their grace period, and a minute for the kubelet and the API.
	tracker.await(ctx, tracker.maxGrace()+time.Minute, w.done, tracker.allGone)
	stopWatch()
	w.wait()
	return tracker.results(w.err()), nil
}

// withKubectl restarts the Deployment and waits for the rollout with the kubectl binary.
func (r Restart) withKubectl(ctx context.Context, timeout time.Duration) error {
	target := "deployment/" + r.Deployment
	if _, err := r.kubectl(ctx, "rollout", "restart", target); err != nil {
		return err
	}
	if _, err := r.kubectl(ctx, "rollout", "status", target, "--timeout", timeout.String()); err != nil {
		return err
	}
	return nil
}

func (r Restart) kubectl(ctx context.Context, args ...string) (string, error) {
	full := []string{"--kubeconfig", r.Kubeconfig, "--namespace", r.Namespace}
	if r.Context != "" {
		full = append(full, "--context", r.Context)
	}
	full = append(full, args...)
	var out bytes.Buffer
	cmd := exec.CommandContext(ctx, r.Kubectl, full...)
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return out.String(), fmt.Errorf("kubectl %s: %w\n%s", strings.Join(args, " "), err, strings.TrimSpace(out.String()))
	}
	return out.String(), nil
}

// deployment is the part of an apps/v1 Deployment the restart reads: the pods' selector and the
// rollout's progress.
type deployment struct {
	Metadata struct {
		Generation int64 `json:"generation"`
	} `json:"metadata"`
	Spec struct {
		Replicas *int32        `json:"replicas"`
		Selector labelSelector `json:"selector"`
	} `json:"spec"`
	Status struct {
		ObservedGeneration  int64 `json:"observedGeneration"`
		Replicas            int32 `json:"replicas"`
		UpdatedReplicas     int32 `json:"updatedReplicas"`
		AvailableReplicas   int32 `json:"availableReplicas"`
		UnavailableReplicas int32 `json:"unavailableReplicas"`
		Conditions          []struct {
			Type    string `json:"type"`
			Reason  string `json:"reason"`
			Message string `json:"message"`
		} `json:"conditions"`
	} `json:"status"`
}

// rolledOut is kubectl rollout status's test: done, or why not yet; an error when the rollout
// has stopped progressing.
func (d *deployment) rolledOut(generation int64) (bool, string, error) {
	s := d.Status
	for _, c := range s.Conditions {
		if c.Type == "Progressing" && c.Reason == "ProgressDeadlineExceeded" {
			return false, "", fmt.Errorf("the rollout exceeded its progress deadline: %s", c.Message)
		}
	}
	want := int32(1)
	if d.Spec.Replicas != nil {
		want = *d.Spec.Replicas
	}
	switch {
	case s.ObservedGeneration < generation:
		return false, "waiting for the controller to see the restart", nil
	case s.UpdatedReplicas < want:
		return false, fmt.Sprintf("%d of %d new replicas updated", s.UpdatedReplicas, want), nil
	case s.Replicas > s.UpdatedReplicas:
		return false, fmt.Sprintf("%d old replicas pending termination", s.Replicas-s.UpdatedReplicas), nil
	case s.AvailableReplicas < s.UpdatedReplicas:
		return false, fmt.Sprintf("%d of %d updated replicas available", s.AvailableReplicas, s.UpdatedReplicas), nil
	}
	return true, "", nil
}

type labelSelector struct {
	MatchLabels      map[string]string `json:"matchLabels"`
	MatchExpressions []struct {
		Key      string   `json:"key"`
		Operator string   `json:"operator"`
		Values   []string `json:"values"`
	} `json:"matchExpressions"`
}

// String is the selector in the syntax of the API's labelSelector parameter (which kubectl's
// --selector takes too).
func (s labelSelector) String() string {
	var parts []string
	keys := make([]string, 0, len(s.MatchLabels))
	for k := range s.MatchLabels {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		parts = append(parts, k+"="+s.MatchLabels[k])
	}
	for _, e := range s.MatchExpressions {
		switch e.Operator {
		case "In":
			parts = append(parts, e.Key+" in ("+strings.Join(e.Values, ",")+")")
		case "NotIn":
			parts = append(parts, e.Key+" notin ("+strings.Join(e.Values, ",")+")")
		case "Exists":
			parts = append(parts, e.Key)
		case "DoesNotExist":
			parts = append(parts, "!"+e.Key)
		}
	}
	return strings.Join(parts, ",")
}

func (r Restart) deploymentPath() string {
	return fmt.Sprintf("/apis/apps/v1/namespaces/%s/deployments/%s", url.PathEscape(r.Namespace), url.PathEscape(r.Deployment))
}

// connect resolves the kubeconfig's context and builds the client that the restart, the wait for
// the rollout and the pod watch share.
func (r Restart) connect() (*kubeconfig.Target, *http.Client, error) {
	content, err := os.ReadFile(r.Kubeconfig)
	if err != nil {
		return nil, nil, fmt.Errorf("restart: %w", err)
	}
	target, err := kubeconfig.Parse(content, filepath.Dir(r.Kubeconfig), r.Context)
	if err != nil {
		return nil, nil, fmt.Errorf("restart: kubeconfig %s: %w", r.Kubeconfig, err)
	}
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: target.TLS.Clone()}, Timeout: 30 * time.Second}
	return target, client, nil
}

func (r Restart) direct(ctx context.Context, client *http.Client, target *kubeconfig.Target, timeout time.Duration) error {
	path := r.deploymentPath()
	name := r.Namespace + "/" + r.Deployment

	// As kubectl rollout restart: a strategic merge patch of the pod template's annotation.
	patch := fmt.Sprintf(`{"spec":{"template":{"metadata":{"annotations":{"kubectl.kubernetes.io/restartedAt":%q}}}}}`,
		time.Now().Format(time.RFC3339))
	var d deployment
	if err := apiCall(ctx, client, target, http.MethodPatch, path+"?fieldManager=kubectl-rollout",
		"application/strategic-merge-patch+json", strings.NewReader(patch), &d); err != nil {
		return fmt.Errorf("rollout restart of deployment %s: %w", name, err)
	}
	generation := d.Metadata.Generation

	poll := r.Poll
	if poll <= 0 {
		poll = time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	last := "no status read yet"
	for {
		if err := apiCall(ctx, client, target, http.MethodGet, path, "", nil, &d); err == nil {
			done, why, err := d.rolledOut(generation)
			if err != nil {
				return fmt.Errorf("rollout of deployment %s: %w", name, err)
			}
			if done {
				return nil
			}
			last = why
		} else {
			last = err.Error()
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("rollout of deployment %s not finished within %s: %s", name, timeout, last)
		case <-time.After(poll):
		}
	}
}

// apiCall sends one request to the apiserver and decodes its JSON answer into out.
func apiCall(ctx context.Context, client *http.Client, t *kubeconfig.Target, method, path, contentType string, body io.Reader, out any) error {
	resp, err := apiOpen(ctx, client, t, method, path, contentType, body)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if err != nil {
		return fmt.Errorf("%s %s: reading the answer: %w", method, path, err)
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	return nil
}

// apiOpen sends one request to the apiserver and returns the response, for the caller to read
// and close, when it is 200 OK; any other status is an error carrying the apiserver's message.
func apiOpen(ctx context.Context, client *http.Client, t *kubeconfig.Target, method, path, contentType string, body io.Reader) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimRight(t.Server, "/")+path, body)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if t.Token != "" {
		req.Header.Set("Authorization", "Bearer "+strings.TrimSpace(t.Token))
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("cluster unreachable at %s: %w", t.Server, err)
	}
	if resp.StatusCode == http.StatusOK {
		return resp, nil
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	var st struct {
		Message string `json:"message"`
	}
	msg := strings.TrimSpace(string(data))
	if json.Unmarshal(data, &st) == nil && st.Message != "" {
		msg = st.Message
	}
	if len(msg) > 300 {
		msg = msg[:300] + "..."
	}
	return nil, fmt.Errorf("%s %s: HTTP %d: %s", method, path, resp.StatusCode, msg)
}

// podWatch is a running watch of the selected pods feeding a tracker.
type podWatch struct {
	done   chan struct{} // closed when the watch has ended
	mu     sync.Mutex
	failed error
}

// watchPods asks the apiserver for every change of the selected pods as a stream of watch events
// and feeds them to the tracker until ctx ends. Without a resourceVersion the stream starts with
// an ADDED event for each pod as it is, as `kubectl get --watch` does. The request is made in the
// background, so that a watch that never answers is caught by the caller's wait for the pods,
// like one that answers nothing.
func watchPods(ctx context.Context, client *http.Client, t *kubeconfig.Target, podsPath, selector string, tr *podTracker) *podWatch {
	w := &podWatch{done: make(chan struct{})}
	path := podsPath + "?" + url.Values{"labelSelector": {selector}, "watch": {"true"}}.Encode()
	// The same transport without the client's time limit: a watch lasts until ctx ends.
	stream := &http.Client{Transport: client.Transport}
	go func() {
		defer close(w.done)
		err := func() error {
			resp, err := apiOpen(ctx, stream, t, http.MethodGet, path, "", nil)
			if err != nil {
				return err
			}
			defer resp.Body.Close()
			return feed(resp.Body, tr)
		}()
		if err != nil && ctx.Err() == nil {
			w.mu.Lock()
			w.failed = err
			w.mu.Unlock()
		}
	}()
	return w
}

// wait returns once the watch has ended; after the context passed to watchPods has ended, that
// is soon, as cancelling the request ends the stream.
func (w *podWatch) wait() {
	<-w.done
}

// err says why the watch ended early, if it did.
func (w *podWatch) err() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.failed
}

// feed decodes the apiserver's stream of watch events ({"type": ..., "object": pod}, one JSON
// document after another) into the tracker until the stream ends.
func feed(r io.Reader, t *podTracker) error {
	dec := json.NewDecoder(r)
	for {
		var ev struct {
			Type   string          `json:"type"`
			Object json.RawMessage `json:"object"`
		}
		if err := dec.Decode(&ev); err != nil {
			if errors.Is(err, io.EOF) {
				return errors.New("the apiserver closed the watch")
			}
			return fmt.Errorf("reading the watch: %w", err)
		}
		if ev.Type == "ERROR" {
			// Its object is a Status; the apiserver ends the watch after it.
			var st struct {
				Message string `json:"message"`
			}
			if err := json.Unmarshal(ev.Object, &st); err != nil || st.Message == "" {
				return fmt.Errorf("the apiserver ended the watch with an error: %s", ev.Object)
			}
			return fmt.Errorf("the apiserver ended the watch with an error: %s", st.Message)
		}
		var p pod
		if err := json.Unmarshal(ev.Object, &p); err != nil {
			return fmt.Errorf("reading the watch: a %s event: %w", ev.Type, err)
		}
		t.observe(watchEvent{Type: ev.Type, Object: p})
	}
}

// watchEvent is one event of a pod watch.
type watchEvent struct {
	Type   string // ADDED, MODIFIED, DELETED
	Object pod
}

// pod is the part of a Pod the check reads.
type pod struct {
	Metadata struct {
		Name                       string     `json:"name"`
		UID                        string     `json:"uid"`
		DeletionTimestamp          *time.Time `json:"deletionTimestamp"`
		DeletionGracePeriodSeconds *int64     `json:"deletionGracePeriodSeconds"`
		OwnerReferences            []struct {
			Kind string `json:"kind"`
		} `json:"ownerReferences"`
	} `json:"metadata"`
	Spec struct {
		TerminationGracePeriodSeconds *int64 `json:"terminationGracePeriodSeconds"`
		Containers                    []struct {
			Name string `json:"name"`
		} `json:"containers"`
	} `json:"spec"`
	Status struct {
		ContainerStatuses []containerStatus `json:"containerStatuses"`
	} `json:"status"`
}

type containerStatus struct {
	Name  string `json:"name"`
	State struct {
		Running *struct {
			StartedAt *time.Time `json:"startedAt"`
		} `json:"running"`
		Waiting *struct {
			Reason string `json:"reason"`
		} `json:"waiting"`
		Terminated *terminated `json:"terminated"`
	} `json:"state"`
}

type terminated struct {
	ExitCode   int32      `json:"exitCode"`
	Signal     int32      `json:"signal"`
	Reason     string     `json:"reason"`
	Message    string     `json:"message"`
	FinishedAt *time.Time `json:"finishedAt"`
}

// OldPod is what the watch saw of a pod from before the restart.
type OldPod struct {
	Name, UID string
	Grace     time.Duration // the grace period Kubernetes gave it between SIGTERM and SIGKILL
	StopAt    *time.Time    // when the kubelet was asked to stop it (deletion time minus grace)
	Gone      bool          // its API object was deleted
	// Containers in the order of the pod's spec: the last state seen of each.
	Containers []ContainerEnd
}

// ContainerEnd is how a container of an old pod ended, or its last state when no end was seen.
type ContainerEnd struct {
	Name       string
	Terminated *terminated
	LastState  string // "running", "waiting (reason)" or "not reported" when not terminated
}

type podTracker struct {
	mu      sync.Mutex
	pods    []*OldPod
	byUID   map[string]*OldPod
	seen    map[string]bool
	changed chan struct{}
}

// newPodTracker follows the pods listed before the restart; pods already being deleted then
// are not this rollout's, nor are pods of the selector that no ReplicaSet owns (the chart's
// migration Job carries the app's labels, and its finished pod stays).
func newPodTracker(before []pod) *podTracker {
	t := &podTracker{byUID: map[string]*OldPod{}, seen: map[string]bool{}, changed: make(chan struct{}, 1)}
	for _, p := range before {
		if p.Metadata.DeletionTimestamp != nil || p.Metadata.UID == "" || !ownedByReplicaSet(p) {
			continue
		}
		o := &OldPod{Name: p.Metadata.Name, UID: p.Metadata.UID, Grace: 30 * time.Second}
		if g := p.Spec.TerminationGracePeriodSeconds; g != nil {
			o.Grace = time.Duration(*g) * time.Second
		}
		for _, c := range p.Spec.Containers {
			o.Containers = append(o.Containers, ContainerEnd{Name: c.Name, LastState: "not reported"})
		}
		t.pods = append(t.pods, o)
		t.byUID[o.UID] = o
	}
	sort.Slice(t.pods, func(i, j int) bool { return t.pods[i].Name < t.pods[j].Name })
	return t
}

func ownedByReplicaSet(p pod) bool {
	for _, o := range p.Metadata.OwnerReferences {
		if o.Kind == "ReplicaSet" {
			return true
		}
	}
	return false
}

// observe records one watch event of an old pod; other pods (the new ones) are ignored.
func (t *podTracker) observe(ev watchEvent) {
	t.mu.Lock()
	defer t.mu.Unlock()
	o := t.byUID[ev.Object.Metadata.UID]
	if o == nil {
		return
	}
	t.seen[o.UID] = true
	md := ev.Object.Metadata
	// The first event of the deletion carries the grace period the pod got; the last one, once
	// the kubelet is done, says 0 and must not replace it.
	if md.DeletionTimestamp != nil && o.StopAt == nil {
		if g := md.DeletionGracePeriodSeconds; g != nil && *g > 0 {
			o.Grace = time.Duration(*g) * time.Second
		}
		stop := md.DeletionTimestamp.Add(-o.Grace)
		o.StopAt = &stop
	}
	for _, cs := range ev.Object.Status.ContainerStatuses {
		for i := range o.Containers {
			c := &o.Containers[i]
			if c.Name != cs.Name {
				continue
			}
			switch {
			case cs.State.Terminated != nil:
				c.Terminated = cs.State.Terminated
			case c.Terminated != nil: // an end once seen stays
			case cs.State.Running != nil:
				c.LastState = "running"
			case cs.State.Waiting != nil:
				c.LastState = "waiting (" + cs.State.Waiting.Reason + ")"
			}
		}
	}
	if ev.Type == "DELETED" {
		o.Gone = true
	}
	select {
	case t.changed <- struct{}{}:
	default:
	}
}

func (t *podTracker) allSeen() bool {
	for _, o := range t.pods {
		if !t.seen[o.UID] {
			return false
		}
	}
	return true
}

func (t *podTracker) allGone() bool {
	for _, o := range t.pods {
		if !o.Gone {
			return false
		}
	}
	return true
}

func (t *podTracker) maxGrace() time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	var g time.Duration
	for _, o := range t.pods {
		g = max(g, o.Grace)
	}
	return g
}

// await waits until cond holds (checked under the tracker's lock), the watch ends, ctx ends or
// limit has passed; it reports whether cond held.
func (t *podTracker) await(ctx context.Context, limit time.Duration, watchDone <-chan struct{}, cond func() bool) bool {
	timer := time.NewTimer(limit)
	defer timer.Stop()
	for {
		t.mu.Lock()
		ok := cond()
		t.mu.Unlock()
		if ok {
			return true
		}
		select {
		case <-t.changed:
		case <-watchDone:
			t.mu.Lock()
			defer t.mu.Unlock()
			return cond()
		case <-timer.C:
			return false
		case <-ctx.Done():
			return false
		}
	}
}

// results is one result per old pod; watchErr, if the watch ended early, explains pods whose end
// was not seen.
func (t *podTracker) results(watchErr error) []Result {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make([]Result, 0, len(t.pods))
	for _, o := range t.pods {
		r := o.Result()
		if !o.Gone && watchErr != nil {
			r.Seen += " (the watch ended: " + watchErr.Error() + ")"
		}
		out = append(out, r)
	}
	return out
}

// Result judges how the old pod ended: it passes when it is gone and each of its containers
// exited with code 0. A container killed after the grace period (exit 137, SIGKILL), ended by an
// unhandled SIGTERM (143) or failing in any other way fails it, and so does a pod that did not
// go or whose containers' ends were not recorded.
func (o *OldPod) Result() Result {
	res := Result{
		Name:     "old pod " + o.Name,
		Expected: "gone, each container exited 0 after SIGTERM",
	}
	var parts []string
	ok := o.Gone
	for _, c := range o.Containers {
		if c.Terminated == nil {
			ok = false
			parts = append(parts, fmt.Sprintf("%s: no exit recorded, last seen %s", c.Name, c.LastState))
			continue
		}
		parts = append(parts, c.Name+": "+o.describeEnd(c.Terminated))
		if c.Terminated.ExitCode != 0 {
			ok = false
		}
	}
	if len(o.Containers) == 0 {
		ok = false
		parts = append(parts, "no containers in its spec")
	}
	seen := strings.Join(parts, "; ")
	if !o.Gone {
		seen = "still there after the rollout and its grace period; " + seen
	}
	res.OK, res.Seen = ok, seen
	return res
}

func (o *OldPod) describeEnd(t *terminated) string {
	s := fmt.Sprintf("exit %d", t.ExitCode)
	if t.Reason != "" {
		s += " (" + t.Reason + ")"
	}
	if o.StopAt != nil && t.FinishedAt != nil {
		if d := t.FinishedAt.Sub(*o.StopAt); d >= 0 {
			s += fmt.Sprintf(" %s after SIGTERM", d.Round(time.Second))
		}
	}
	switch {
	case t.ExitCode == 0:
	case t.Reason == "ContainerStatusUnknown":
		s += ": the kubelet could not find the container, its exit is unknown"
	case t.Reason == "OOMKilled":
		s += ": killed for using more memory than its limit"
	case t.ExitCode == 137 || t.Signal == 9:
		s += fmt.Sprintf(": killed with SIGKILL, it had not exited when its grace period of %s ran out", o.Grace)
	case t.ExitCode == 143 || t.Signal == 15:
		s += ": ended by SIGTERM itself, without a clean shutdown (the app does not handle SIGTERM)"
	default:
		s += ": a failed shutdown"
	}
	return s
}
