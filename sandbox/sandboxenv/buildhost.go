package sandboxenv

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
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

// Migrations lists the revisions (the numbers their file names start with) of the migrations
// revision's sources carry in Application/Migration/, in ascending order: what its `migrate`
// applies and records in schema_migrations.
func (b BuildHost) Migrations(revision string) ([]int64, error) {
	out, err := exec.Command("git", "--git-dir", b.Origin, "ls-tree", "--name-only", revision+":Application/Migration").Output()
	if err != nil {
		return nil, fmt.Errorf("migrations of %s in %s: %w", revision, b.Origin, err)
	}
	var revs []int64
	for _, name := range strings.Fields(string(out)) {
		num, _, ok := strings.Cut(name, "-")
		if !ok || !strings.HasSuffix(name, ".sql") {
			continue
		}
		n, err := strconv.ParseInt(num, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("migration %s of %s: %w", name, revision, err)
		}
		revs = append(revs, n)
	}
	slices.Sort(revs)
	return revs, nil
}

// Builds counts the `nix build` runs the build host's nix stand-in has logged.
func (b BuildHost) Builds() (int, error) {
	return b.BuildsIn("")
}

// BuildsIn counts the logged `nix build` runs in one checkout (all of them when checkout is
// empty), so that a test is not confused by other tests' builds.
func (b BuildHost) BuildsIn(checkout string) (int, error) {
	log, err := b.BuildLog()
	if err != nil {
		return 0, err
	}
	n := 0
	for _, r := range log {
		if checkout == "" || r.Checkout == checkout {
			n++
		}
	}
	return n, nil
}

// BuildsOf counts the logged `nix build` runs of one commit.
func (b BuildHost) BuildsOf(revision string) (int, error) {
	log, err := b.BuildLog()
	if err != nil {
		return 0, err
	}
	n := 0
	for _, r := range log {
		if r.Revision == revision {
			n++
		}
	}
	return n, nil
}

// BuildRecord is one `nix build` run the nix stand-in logged.
type BuildRecord struct {
	Time, Revision, StorePath, Checkout string
}

// BuildLog reads the nix stand-in's log of builds, oldest first.
func (b BuildHost) BuildLog() ([]BuildRecord, error) {
	data, err := os.ReadFile(filepath.Join(filepath.Dir(b.Store), "nix-builds.log"))
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []BuildRecord
	for _, line := range strings.Split(string(data), "\n") {
		// Tab-separated, since paths may hold spaces; a log written before that used spaces.
		f := strings.Split(line, "\t")
		if len(f) == 1 {
			f = strings.Fields(line)
		}
		if len(f) < 3 {
			continue
		}
		r := BuildRecord{Time: f[0], Revision: f[1], StorePath: f[2]}
		if len(f) >= 4 {
			r.Checkout = f[3]
		}
		out = append(out, r)
	}
	return out, nil
}
