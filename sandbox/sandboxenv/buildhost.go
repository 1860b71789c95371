package sandboxenv

import (
	"bytes"
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
	data, err := os.ReadFile(filepath.Join(filepath.Dir(b.Store), "nix-builds.log"))
	if os.IsNotExist(err) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	return bytes.Count(data, []byte("\n")), nil
}
