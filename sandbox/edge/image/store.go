package image

import (
	"context"
	"fmt"
	"path"
	"strings"
	"sync"
	"time"
)

// Image is what the edge knows of one image: its config and the files of its static directory.
type Image struct {
	Ref        Ref
	WorkingDir string
	Labels     map[string]string
	// StaticDir is the directory static files are served from, relative to the image's root
	// ("app/static"); empty when the image has none.
	StaticDir string
	Bytes     int64 // size of the static files held
	tree      *tree
}

// Revision is the source revision the image was built from (its OCI revision label), if any.
func (i *Image) Revision() string { return i.Labels["org.opencontainers.image.revision"] }

// StaticFile returns the file name (a path below the static directory) from the image.
func (i *Image) StaticFile(name string) ([]byte, time.Time, bool) {
	if i.StaticDir == "" {
		return nil, time.Time{}, false
	}
	clean := cleanName(name)
	if clean == "" || clean != strings.TrimPrefix(name, "/") {
		return nil, time.Time{}, false // "..", "//" and the like
	}
	f, ok := i.tree.lookup(i.StaticDir + "/" + clean)
	if !ok {
		return nil, time.Time{}, false
	}
	return f.data, f.mod, true
}

// StaticDirs are the candidate static directories of an image, best first: "static" below the
// image's working directory (IHP serves static/ from its working directory), then app/static
// and static at the root.
func StaticDirs(workingDir string) []string {
	var dirs []string
	if wd := cleanName(workingDir); wd != "" {
		dirs = append(dirs, path.Join(wd, "static"))
	}
	for _, d := range []string{"app/static", "static"} {
		if len(dirs) == 0 || dirs[0] != d {
			dirs = append(dirs, d)
		}
	}
	return dirs
}

// Store fetches images from one registry and caches them by digest. Failures are not cached: a
// registry that comes back is used at once.
type Store struct {
	reg        *Registry
	maxImages  int
	maxStatic  int64
	fetchLimit time.Duration

	mu      sync.Mutex
	entries map[string]*entry
}

type entry struct {
	done     chan struct{}
	img      *Image
	err      error
	lastUsed time.Time
}

// NewStore caches up to maxImages images, each holding at most maxStatic bytes of static files.
func NewStore(reg *Registry, maxImages int, maxStatic int64) *Store {
	return &Store{reg: reg, maxImages: maxImages, maxStatic: maxStatic, fetchLimit: 2 * time.Minute, entries: map[string]*entry{}}
}

// Get returns the image of ref, fetching it once however many requests ask at the same time.
func (s *Store) Get(ctx context.Context, ref Ref) (*Image, error) {
	if ref.Registry != s.reg.Host {
		return nil, fmt.Errorf("image %s is on registry %s; the edge pulls only from %s", ref, ref.Registry, s.reg.Host)
	}
	s.mu.Lock()
	e, ok := s.entries[ref.Digest]
	if !ok {
		e = &entry{done: make(chan struct{})}
		s.entries[ref.Digest] = e
		// The fetch outlives a cancelled request: the next one will want the image too.
		go s.fetch(context.WithoutCancel(ctx), ref, e)
	}
	e.lastUsed = time.Now()
	s.mu.Unlock()
	select {
	case <-e.done:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	if e.err != nil {
		return nil, e.err
	}
	return e.img, nil
}

func (s *Store) fetch(ctx context.Context, ref Ref, e *entry) {
	ctx, cancel := context.WithTimeout(ctx, s.fetchLimit)
	defer cancel()
	img, err := s.load(ctx, ref)
	s.mu.Lock()
	e.img, e.err = img, err
	if err != nil {
		delete(s.entries, ref.Digest)
	} else {
		s.evict()
	}
	s.mu.Unlock()
	close(e.done)
}

// evict drops the least recently used finished images beyond maxImages. Called with s.mu held.
func (s *Store) evict() {
	for len(s.entries) > s.maxImages {
		var oldest string
		var t time.Time
		for d, e := range s.entries {
			if e.img == nil {
				continue // still loading
			}
			if oldest == "" || e.lastUsed.Before(t) {
				oldest, t = d, e.lastUsed
			}
		}
		if oldest == "" {
			return
		}
		delete(s.entries, oldest)
	}
}

// Cached reports how many images are held.
func (s *Store) Cached() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.entries)
}

func (s *Store) load(ctx context.Context, ref Ref) (*Image, error) {
	m, err := s.reg.manifest(ctx, ref.Repository, ref.Digest)
	if err != nil {
		return nil, fmt.Errorf("image %s: %w", ref, err)
	}
	cfg, err := s.reg.config(ctx, ref.Repository, m.Config)
	if err != nil {
		return nil, fmt.Errorf("image %s: %w", ref, err)
	}
	img := &Image{Ref: ref, WorkingDir: cfg.Config.WorkingDir, Labels: cfg.Config.Labels}
	dirs := StaticDirs(img.WorkingDir)
	t := newTree(dirs, s.maxStatic)
	for _, l := range m.Layers {
		if err := s.applyLayer(ctx, ref, t, l); err != nil {
			return nil, fmt.Errorf("image %s: layer %s: %w", ref, l.Digest, err)
		}
	}
	for _, d := range dirs {
		if t.hasFilesUnder(d) {
			img.StaticDir = d
			break
		}
	}
	img.tree, img.Bytes = t, t.size
	return img, nil
}

func (s *Store) applyLayer(ctx context.Context, ref Ref, t *tree, l descriptor) error {
	if strings.Contains(l.MediaType, "zstd") {
		return fmt.Errorf("media type %s is not supported", l.MediaType)
	}
	rc, err := s.reg.blob(ctx, ref.Repository, l.Digest)
	if err != nil {
		return err
	}
	defer rc.Close()
	return t.apply(rc)
}
