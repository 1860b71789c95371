package image

import (
	"archive/tar"
	"bufio"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"
	"time"
)

// tree is the part of an image's filesystem under some directories, built by applying layers in
// order, with OCI whiteouts.
type tree struct {
	prefixes []string // directories kept, relative ("app/static")
	files    map[string]*file
	size     int64
	limit    int64
}

type file struct {
	data    []byte
	mod     time.Time
	symlink string // target, for a symbolic link
}

func newTree(prefixes []string, limit int64) *tree {
	return &tree{prefixes: prefixes, files: map[string]*file{}, limit: limit}
}

func (t *tree) wanted(name string) bool {
	for _, p := range t.prefixes {
		if strings.HasPrefix(name, p+"/") {
			return true
		}
	}
	return false
}

// cleanName makes a tar entry name relative and clean: "./app/x" and "/app/x" are "app/x".
func cleanName(n string) string {
	n = path.Clean("/" + n)
	return strings.TrimPrefix(n, "/")
}

// apply reads one layer (a tar, gzipped or not) to its end.
func (t *tree) apply(layer io.Reader) error {
	br := bufio.NewReader(layer)
	var r io.Reader = br
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		gz, err := gzip.NewReader(br)
		if err != nil {
			return fmt.Errorf("gzip: %w", err)
		}
		defer gz.Close()
		r = gz
	}
	added := map[string]*file{}
	var removed []string // whiteouts: paths deleted from lower layers (with what is below them)
	var opaque []string  // directories whose lower-layer content is hidden
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("tar: %w", err)
		}
		name := cleanName(h.Name)
		dir, base := path.Split(name)
		dir = strings.TrimSuffix(dir, "/")
		switch {
		case base == ".wh..wh..opq":
			opaque = append(opaque, dir)
			continue
		case strings.HasPrefix(base, ".wh."):
			removed = append(removed, path.Join(dir, strings.TrimPrefix(base, ".wh.")))
			continue
		}
		if !t.wanted(name) {
			continue
		}
		switch h.Typeflag {
		case tar.TypeReg:
			if t.size+h.Size > t.limit {
				return fmt.Errorf("the static files are larger than %d MiB", t.limit>>20)
			}
			data, err := io.ReadAll(tr)
			if err != nil {
				return fmt.Errorf("tar entry %s: %w", name, err)
			}
			t.size += int64(len(data))
			added[name] = &file{data: data, mod: h.ModTime}
		case tar.TypeLink:
			target := cleanName(h.Linkname)
			src := added[target]
			if src == nil {
				src = t.files[target]
			}
			if src != nil {
				added[name] = &file{data: src.data, mod: h.ModTime}
			}
		case tar.TypeSymlink:
			added[name] = &file{symlink: h.Linkname, mod: h.ModTime}
		}
	}
	// Drain the stream so that the blob's digest is checked.
	if _, err := io.Copy(io.Discard, r); err != nil {
		return err
	}
	for name := range t.files {
		for _, rm := range removed {
			if name == rm || strings.HasPrefix(name, rm+"/") {
				delete(t.files, name)
			}
		}
		for _, d := range opaque {
			if strings.HasPrefix(name, d+"/") {
				delete(t.files, name)
			}
		}
	}
	for name, f := range added {
		t.files[name] = f
	}
	return nil
}

// lookup finds a regular file, following symbolic links inside the tree.
func (t *tree) lookup(name string) (*file, bool) {
	for hops := 0; hops < 8; hops++ {
		f, ok := t.files[name]
		if !ok {
			return nil, false
		}
		if f.symlink == "" {
			return f, true
		}
		target := f.symlink
		if !strings.HasPrefix(target, "/") {
			target = path.Join(path.Dir(name), target)
		}
		name = cleanName(target)
	}
	return nil, false
}

// hasFilesUnder reports whether any file lies under dir.
func (t *tree) hasFilesUnder(dir string) bool {
	for name := range t.files {
		if strings.HasPrefix(name, dir+"/") {
			return true
		}
	}
	return false
}
