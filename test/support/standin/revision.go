package standin

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// AddRevision commits a new revision of the app on top of base (a tag or branch of the sandbox's
// sample app) to the stack's private origin, as branch, and returns the commit. edit changes the
// work tree (for example flake.nix) before the commit. The nix stand-in's store entry for the
// commit, if a build makes one, is removed at cleanup.
func (s *Stack) AddRevision(t testing.TB, base, branch string, edit func(dir string)) string {
	t.Helper()
	work := filepath.Join(t.TempDir(), "work")
	git(t, "", "clone", "--quiet", s.Origin, work)
	git(t, work, "checkout", "--quiet", "-B", branch, base)
	edit(work)
	git(t, work, "add", "-A")
	git(t, work, "commit", "--quiet", "-m", "test revision "+branch)
	git(t, work, "push", "--quiet", "origin", branch)
	commit := git(t, work, "rev-parse", "HEAD")
	t.Cleanup(func() { s.removeBuilds(commit) })
	return commit
}

// SlowBuild returns an edit that makes the nix stand-in take seconds to build the revision (its
// `# sandbox: build-seconds N` hook; only the first build of a revision waits).
func SlowBuild(seconds int) func(dir string) {
	return func(dir string) {
		path := filepath.Join(dir, "flake.nix")
		data, err := os.ReadFile(path)
		if err != nil {
			panic(err)
		}
		data = append([]byte(fmt.Sprintf("# sandbox: build-seconds %d\n", seconds)), data...)
		if err := os.WriteFile(path, data, 0o644); err != nil {
			panic(err)
		}
	}
}

// removeBuilds removes the nix stand-in's store entries of commit, which its build log names.
func (s *Stack) removeBuilds(commit string) {
	records, _ := s.Env.BuildHost.BuildLog()
	for _, r := range records {
		if r.Revision == commit {
			os.Remove(r.StorePath)
		}
	}
}
