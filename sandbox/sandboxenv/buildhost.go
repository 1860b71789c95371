package sandboxenv

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// Commit resolves a revision (tag, branch or commit) of the build host's origin repository.
func (b BuildHost) Commit(revision string) (string, error) {
	out, err := exec.Command("git", "--git-dir", b.Origin, "rev-parse", "--verify", revision+"^{commit}").Output()
	if err != nil {
		return "", fmt.Errorf("revision %s in %s: %w", revision, b.Origin, err)
	}
	return strings.TrimSpace(string(out)), nil
}

// Builds counts the `nix build` runs the build host's nix stand-in has logged.
func (b BuildHost) Builds() (int, error) {
	return b.BuildsIn("")
}

// BuildsIn counts the logged `nix build` runs in one checkout (all of them when checkout is
// empty), so that a test is not confused by other tests' builds.
func (b BuildHost) BuildsIn(checkout string) (int, error) {
	data, err := os.ReadFile(filepath.Join(filepath.Dir(b.Store), "nix-builds.log"))
	if os.IsNotExist(err) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	n := 0
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Fields(line)
		if len(f) >= 3 && (checkout == "" || len(f) >= 4 && f[3] == checkout) {
			n++
		}
	}
	return n, nil
}
