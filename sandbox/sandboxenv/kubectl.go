package sandboxenv

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// KubectlPath finds kubectl: on PATH, else in the toolchain prefix named by INTERHUB_TOOLS_PREFIX.
func KubectlPath() (string, error) { return toolPath("kubectl", "toolchain/tools.sh build kube") }

// toolPath finds a toolchain binary: on PATH, else in the prefix named by INTERHUB_TOOLS_PREFIX;
// the error names the command that builds it.
func toolPath(name, build string) (string, error) {
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	if prefix := os.Getenv("INTERHUB_TOOLS_PREFIX"); prefix != "" {
		p := filepath.Join(prefix, "bin", name)
		if isFile(p) {
			return p, nil
		}
	}
	return "", fmt.Errorf("%s not found on PATH; build it with `%s`, then `eval \"$(toolchain/tools.sh env)\"`", name, build)
}

// Kubectl runs kubectl against the sandbox with stdin (may be nil) and returns its stdout. The
// error carries stderr.
func (e *Env) Kubectl(ctx context.Context, stdin io.Reader, args ...string) ([]byte, error) {
	bin, err := KubectlPath()
	if err != nil {
		return nil, err
	}
	return e.run(ctx, stdin, bin, append([]string{"--kubeconfig", e.Kubernetes.Kubeconfig, "--context", e.Kubernetes.Context}, args...))
}

// Helm runs the helm CLI (an optional toolchain part) against the sandbox, as the runbook's
// stuck-release procedure does.
func (e *Env) Helm(ctx context.Context, args ...string) ([]byte, error) {
	bin, err := toolPath("helm", "toolchain/tools.sh build helm")
	if err != nil {
		return nil, err
	}
	return e.run(ctx, nil, bin, append([]string{"--kubeconfig", e.Kubernetes.Kubeconfig, "--kube-context", e.Kubernetes.Context}, args...))
}

func (e *Env) run(ctx context.Context, stdin io.Reader, bin string, args []string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Stdin = stdin
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		// The caller's arguments, without the connection flags every call has.
		return stdout.Bytes(), fmt.Errorf("%s %s: %w: %s", filepath.Base(bin), strings.Join(args[4:], " "), err, strings.TrimSpace(stderr.String()))
	}
	return stdout.Bytes(), nil
}

// PullSecret creates the Secret name in namespace ns that lets pods pull from the sandbox
// registry with its read-only account (kubectl reads the password from a file, not its
// arguments).
func (e *Env) PullSecret(ctx context.Context, ns, name string) error {
	auth := base64.StdEncoding.EncodeToString([]byte(e.Registry.PullUser + ":" + e.Registry.PullPassword))
	cfg, err := json.Marshal(map[string]any{"auths": map[string]any{e.Registry.Host: map[string]string{
		"username": e.Registry.PullUser, "password": e.Registry.PullPassword, "auth": auth}}})
	if err != nil {
		return err
	}
	f, err := os.CreateTemp("", "pull-secret-*.json")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(cfg); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	_, err = e.Kubectl(ctx, nil, "-n", ns, "create", "secret", "generic", name,
		"--type", "kubernetes.io/dockerconfigjson", "--from-file", ".dockerconfigjson="+f.Name())
	return err
}
