//go:build integration

package plugins_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/coulomb-social/inter-hub-deploy/test/support/clirun"
)

// TestCommandPluginEngineLost kills `pulumi up` (its whole process group, as a dying terminal
// session would) while a remote command runs. The CLI starts plugins in process groups of their
// own, so the plugin survives the kill: it must notice the engine is gone, end the remote command
// and exit, rather than serve a command nobody waits for.
func TestCommandPluginEngineLost(t *testing.T) {
	t.Parallel()
	srv := startSSHD(t)
	s := newStack(t, "hangup")
	pidFile := filepath.Join(t.TempDir(), "pid")
	s.config(map[string]string{"port": strconv.Itoa(srv.port), "user": srv.user, "hostKey": srv.hostKey,
		"pidFile": pidFile}, map[string]string{"privateKey": srv.clientKey})

	ws := s.Workspace()
	up := exec.Command(filepath.Join(tools.bin, "pulumi"), "up", "--yes", "--skip-preview", "--stack", s.Name(), "--non-interactive")
	up.Dir = ws.WorkDir()
	up.Env = append(os.Environ(), "PULUMI_HOME="+tools.home)
	for k, v := range ws.GetEnvVars() {
		up.Env = append(up.Env, k+"="+v)
	}
	var out bytes.Buffer
	up.Stdout, up.Stderr = &out, &out
	up.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := up.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { _ = up.Wait(); close(done) }()
	t.Cleanup(func() { _ = syscall.Kill(-up.Process.Pid, syscall.SIGKILL); <-done })

	var remotePid int
	for deadline := time.Now().Add(2 * time.Minute); remotePid == 0; time.Sleep(200 * time.Millisecond) {
		if b, err := os.ReadFile(pidFile); err == nil && strings.HasSuffix(string(b), "\n") {
			remotePid, _ = strconv.Atoi(strings.TrimSpace(string(b)))
		}
		if time.Now().After(deadline) {
			t.Fatalf("the remote command did not start within 2 minutes:\n%s", out.String())
		}
	}
	plugins := pluginProcesses(s.backend)
	if len(plugins) == 0 {
		t.Fatal("no command plugin process of this stack is running while its command runs")
	}
	killed := time.Now()
	if err := syscall.Kill(-up.Process.Pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-done

	// The plugin checks on its engine every 30 s.
	for deadline := killed.Add(75 * time.Second); len(pluginProcesses(s.backend)) > 0; time.Sleep(500 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%s after the kill the command plugin %v still runs", time.Since(killed).Round(time.Second), pluginProcesses(s.backend))
		}
	}
	t.Logf("the plugin %v exited %s after the kill", plugins, time.Since(killed).Round(time.Second))
	// It closed its session (sshd delivers the TERM signal sent first only to sessions of
	// non-root users, and a command without a terminal outlives its connection, as with
	// OpenSSH's own client).
	log, err := os.ReadFile(filepath.Join(srv.dir, "sshd.log"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(log, []byte("Close session: user "+srv.user)) {
		t.Errorf("sshd did not see the session closed:\n%s", log)
	}
	if syscall.Kill(remotePid, 0) == nil {
		t.Logf("the remote command %d outlived the session (sshd runs it as %s)", remotePid, srv.user)
		_ = syscall.Kill(remotePid, syscall.SIGKILL)
	}
}

// pluginProcesses are the IDs of the command plugins serving the stacks of backend.
func pluginProcesses(backend string) []int {
	var pids []int
	for pid, name := range clirun.Processes(backend) {
		if name == "pulumi-resource-command" {
			pids = append(pids, pid)
		}
	}
	return pids
}
