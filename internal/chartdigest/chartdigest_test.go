package chartdigest

import (
	"os"
	"path/filepath"
	"testing"
)

func TestDir(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string, mode os.FileMode) {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, mode); err != nil {
			t.Fatal(err)
		}
	}
	write("Chart.yaml", "name: x\n", 0o644)
	write("templates/a.yaml", "kind: A\n", 0o644)
	first, err := Dir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(first) != 64 {
		t.Fatalf("digest %q", first)
	}

	write("templates/a.yaml", "kind: A\n", 0o600) // mode only
	if d, _ := Dir(dir); d != first {
		t.Error("a mode change changed the digest")
	}
	write("templates/a.yaml", "kind: B\n", 0o644)
	second, _ := Dir(dir)
	if second == first {
		t.Error("a content change kept the digest")
	}
	if err := os.Rename(filepath.Join(dir, "templates/a.yaml"), filepath.Join(dir, "templates/b.yaml")); err != nil {
		t.Fatal(err)
	}
	if d, _ := Dir(dir); d == second {
		t.Error("a rename kept the digest")
	}
	if _, err := Dir(filepath.Join(dir, "missing")); err == nil {
		t.Error("no error for a missing directory")
	}
}
