package imagecontract

import (
	"archive/tar"
	"bufio"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"path"
	"strings"

	"github.com/coulomb-social/inter-hub-deploy/internal/registryapi"
)

// Config is the part of an image's config that the contract looks at.
type Config struct {
	Cmd        []string `json:"Cmd"`
	Entrypoint []string `json:"Entrypoint"`
	Env        []string `json:"Env"`
	WorkingDir string   `json:"WorkingDir"`
}

// Getenv is the value of name in the config's Env, and whether it is set.
func (c Config) Getenv(name string) (string, bool) {
	for _, kv := range c.Env {
		if k, v, ok := strings.Cut(kv, "="); ok && k == name {
			return v, true
		}
	}
	return "", false
}

// Image is an image's config and the file tree its layers make.
type Image struct {
	Config Config
	Files  *Tree
}

type manifest struct {
	MediaType string `json:"mediaType"`
	Config    struct {
		Digest string `json:"digest"`
	} `json:"config"`
	Layers []struct {
		Digest    string `json:"digest"`
		MediaType string `json:"mediaType"`
	} `json:"layers"`
	// Manifests is set for an index (a multi-platform image).
	Manifests []struct {
		Digest   string `json:"digest"`
		Platform struct {
			OS           string `json:"os"`
			Architecture string `json:"architecture"`
		} `json:"platform"`
	} `json:"manifests"`
}

// Read reads the image ref (a digest or tag) of the repository: its config, and every layer,
// unpacked into a file tree (names, kinds, modes and link targets; no contents are kept).
func Read(ctx context.Context, repo *registryapi.Repository, ref string) (Image, error) {
	m, err := readManifest(ctx, repo, ref)
	if err != nil {
		return Image{}, err
	}
	if len(m.Manifests) > 0 {
		// The nodes are linux/amd64 (K3s on x86_64), as is the build host.
		platform := ""
		for _, e := range m.Manifests {
			if e.Platform.OS == "linux" && e.Platform.Architecture == "amd64" {
				platform = e.Digest
				break
			}
		}
		if platform == "" {
			return Image{}, fmt.Errorf("%s@%s is an index without a linux/amd64 image", repo.Name, ref)
		}
		if m, err = readManifest(ctx, repo, platform); err != nil {
			return Image{}, err
		}
	}
	if m.Config.Digest == "" {
		return Image{}, fmt.Errorf("the manifest of %s@%s names no config", repo.Name, ref)
	}

	var img Image
	blob, err := repo.Blob(ctx, m.Config.Digest)
	if err != nil {
		return Image{}, fmt.Errorf("the image config: %w", err)
	}
	var cfg struct {
		Config Config `json:"config"`
	}
	err = json.NewDecoder(io.LimitReader(blob, 4<<20)).Decode(&cfg)
	blob.Close()
	if err != nil {
		return Image{}, fmt.Errorf("the image config %s: %w", m.Config.Digest, err)
	}
	img.Config = cfg.Config

	img.Files = NewTree()
	for _, l := range m.Layers {
		if err := readLayer(ctx, repo, l.Digest, img.Files); err != nil {
			return Image{}, fmt.Errorf("layer %s: %w", l.Digest, err)
		}
	}
	return img, nil
}

func readManifest(ctx context.Context, repo *registryapi.Repository, ref string) (manifest, error) {
	raw, err := repo.Manifest(ctx, ref)
	if err != nil {
		return manifest{}, err
	}
	var m manifest
	if err := json.Unmarshal(raw.Body, &m); err != nil {
		return manifest{}, fmt.Errorf("the manifest of %s@%s (%s): %w", repo.Name, ref, raw.MediaType, err)
	}
	return m, nil
}

// readLayer applies one layer (a tar, gzipped or not) to the tree.
func readLayer(ctx context.Context, repo *registryapi.Repository, digest string, t *Tree) error {
	blob, err := repo.Blob(ctx, digest)
	if err != nil {
		return err
	}
	defer blob.Close()
	r := bufio.NewReader(blob)
	magic, _ := r.Peek(4)
	var archive io.Reader = r
	switch {
	case len(magic) >= 2 && magic[0] == 0x1f && magic[1] == 0x8b:
		z, err := gzip.NewReader(r)
		if err != nil {
			return err
		}
		defer z.Close()
		archive = z
	case len(magic) == 4 && string(magic) == "\x28\xb5\x2f\xfd":
		return fmt.Errorf("zstd-compressed layers are not read; push the image with gzip layers")
	}
	return t.Apply(tar.NewReader(archive))
}

// kind is what a path in the tree is.
type kind int

const (
	kindDir kind = iota
	kindFile
	kindSymlink
)

type node struct {
	kind   kind
	mode   fs.FileMode
	target string // a symlink's target
}

// Tree is the file tree of an image's layers, applied in order with the OCI whiteouts.
type Tree struct {
	nodes map[string]node // cleaned absolute paths
}

// NewTree is an empty tree holding only /.
func NewTree() *Tree {
	return &Tree{nodes: map[string]node{"/": {kind: kindDir, mode: 0o755}}}
}

// Apply adds one layer's entries: its whiteouts remove what lower layers had first.
func (t *Tree) Apply(tr *tar.Reader) error {
	type entry struct {
		name string
		node node
	}
	var entries []entry
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		name := path.Clean("/" + h.Name)
		dir, base := path.Split(name)
		switch {
		case base == ".wh..wh..opq":
			t.removeUnder(path.Clean(dir))
			continue
		case strings.HasPrefix(base, ".wh."):
			t.remove(path.Join(dir, strings.TrimPrefix(base, ".wh.")))
			continue
		}
		n := node{mode: fs.FileMode(h.Mode).Perm()}
		switch h.Typeflag {
		case tar.TypeDir:
			n.kind = kindDir
		case tar.TypeSymlink:
			n.kind, n.target = kindSymlink, h.Linkname
		default: // regular files, hard links, devices: the contract only asks whether they are there
			n.kind = kindFile
		}
		entries = append(entries, entry{name, n})
	}
	for _, e := range entries {
		t.add(e.name, e.node)
	}
	return nil
}

func (t *Tree) add(name string, n node) {
	for d := path.Dir(name); ; d = path.Dir(d) {
		if _, ok := t.nodes[d]; !ok {
			t.nodes[d] = node{kind: kindDir, mode: 0o755}
		}
		if d == "/" {
			break
		}
	}
	if old, ok := t.nodes[name]; ok && old.kind == kindDir && n.kind != kindDir {
		t.removeUnder(name)
	}
	t.nodes[name] = n
}

func (t *Tree) remove(name string) {
	delete(t.nodes, name)
	t.removeUnder(name)
}

func (t *Tree) removeUnder(dir string) {
	prefix := strings.TrimSuffix(dir, "/") + "/"
	for p := range t.nodes {
		if strings.HasPrefix(p, prefix) {
			delete(t.nodes, p)
		}
	}
}

// resolve follows symlinks in every component of p, as the kernel would inside the container.
func (t *Tree) resolve(p string) (node, bool) {
	parts := strings.Split(strings.TrimPrefix(path.Clean("/"+p), "/"), "/")
	cur := "/"
	for hops := 0; len(parts) > 0; {
		part := parts[0]
		parts = parts[1:]
		if part == "" || part == "." {
			continue
		}
		next := path.Join(cur, part)
		n, ok := t.nodes[next]
		if !ok {
			return node{}, false
		}
		if n.kind == kindSymlink {
			if hops++; hops > 40 {
				return node{}, false
			}
			target := n.target
			if !strings.HasPrefix(target, "/") {
				target = path.Join(cur, target)
			}
			parts = append(strings.Split(strings.TrimPrefix(path.Clean(target), "/"), "/"), parts...)
			cur = "/"
			continue
		}
		if n.kind != kindDir && len(parts) > 0 {
			return node{}, false
		}
		cur = next
	}
	return t.nodes[cur], true
}

// IsDir says whether p is a directory (after symlinks).
func (t *Tree) IsDir(p string) bool {
	n, ok := t.resolve(p)
	return ok && n.kind == kindDir
}

// IsFile says whether p is a file (after symlinks).
func (t *Tree) IsFile(p string) bool {
	n, ok := t.resolve(p)
	return ok && n.kind == kindFile
}

// IsExecutable says whether p is a file that someone may execute (after symlinks).
func (t *Tree) IsExecutable(p string) bool {
	n, ok := t.resolve(p)
	return ok && n.kind == kindFile && n.mode&0o111 != 0
}
