//go:build integration

package hardening_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"syscall"
	"testing"

	"github.com/coulomb-social/inter-hub-deploy/test/support/standin"
)

// noDigestSkopeo is skopeo as seen through a registry proxy that drops Docker-Content-Digest:
// it copies and inspects, but reports no digest.
const noDigestSkopeo = `#!/bin/sh
# skopeo that does its work but reports no digest.
real=/usr/bin/skopeo
case $1 in
inspect)
	"$real" "$@" >/dev/null || exit $?
	echo ""
	;;
copy)
	shift
	digestfile=""
	args=""
	while [ $# -gt 0 ]; do
		if [ "$1" = --digestfile ]; then digestfile=$2; shift 2; continue; fi
		args="$args '$(printf %s "$1" | sed "s/'/'\\\\''/g")'"
		shift
	done
	eval "\"$real\" copy $args" || exit $?
	[ -z "$digestfile" ] || : >"$digestfile"
	;;
*) exec "$real" "$@" ;;
esac
`

// startBuildHost runs a second sshd of the sandbox's build host (same host key, users and
// keys, on another port) whose sessions find the files in bin first on their PATH, and returns
// its port. It is stopped by its PID when the test ends.
func startBuildHost(t *testing.T, s *standin.Stack, bin map[string]string) int {
	t.Helper()
	dir := t.TempDir()
	binDir := filepath.Join(dir, "bin")
	if err := os.Mkdir(binDir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, content := range bin {
		if err := os.WriteFile(filepath.Join(binDir, name), []byte(content), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	conf, err := os.ReadFile(filepath.Join(s.Env.StateDir, "sshd", "sshd_config"))
	if err != nil {
		t.Fatal(err)
	}
	port := closedPort(t)
	out := regexp.MustCompile(`(?m)^Port .*$`).ReplaceAll(conf, []byte("Port "+itoa(port)))
	out = regexp.MustCompile(`(?m)^(SetEnv .*PATH=)`).ReplaceAll(out, []byte("${1}"+binDir+":"))
	if !bytes.Contains(out, []byte("PATH="+binDir+":")) {
		t.Fatal("the sandbox's sshd_config sets no PATH")
	}
	cfg := filepath.Join(dir, "sshd_config")
	if err := os.WriteFile(cfg, out, 0o600); err != nil {
		t.Fatal(err)
	}
	startDaemon(t, exec.Command("/usr/sbin/sshd", "-D", "-e", "-f", cfg), syscall.SIGTERM, port)
	return port
}
