package smoke

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"strings"
	"time"
)

// Restart names the Deployment whose pods are restarted between two rounds of checks, to prove
// that nothing the app serves lives only in a pod (restart persistence).
type Restart struct {
	Kubectl    string // kubectl binary; "kubectl" from PATH when empty
	Kubeconfig string
	Context    string // optional
	Namespace  string
	Deployment string
	Timeout    time.Duration // for rollout status; default 5 minutes
}

// ParseTarget splits "namespace/deployment".
func ParseTarget(s string) (namespace, deployment string, err error) {
	ns, name, ok := strings.Cut(s, "/")
	if !ok || ns == "" || name == "" || strings.Contains(name, "/") {
		return "", "", fmt.Errorf("restart target %q: want namespace/deployment", s)
	}
	return ns, name, nil
}

// Run restarts the Deployment and waits until the rollout has finished.
func (r Restart) Run(ctx context.Context) error {
	if r.Kubeconfig == "" {
		return fmt.Errorf("restart of %s/%s: a kubeconfig is required", r.Namespace, r.Deployment)
	}
	timeout := r.Timeout
	if timeout <= 0 {
		timeout = 5 * time.Minute
	}
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
	bin := r.Kubectl
	if bin == "" {
		bin = "kubectl"
	}
	full := []string{"--kubeconfig", r.Kubeconfig, "--namespace", r.Namespace}
	if r.Context != "" {
		full = append(full, "--context", r.Context)
	}
	full = append(full, args...)
	var out bytes.Buffer
	cmd := exec.CommandContext(ctx, bin, full...)
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return out.String(), fmt.Errorf("kubectl %s: %w\n%s", strings.Join(args, " "), err, strings.TrimSpace(out.String()))
	}
	return out.String(), nil
}
