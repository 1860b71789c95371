package image

import (
	"archive/tar"
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coulomb-social/inter-hub-deploy/sandbox/edge/internal/fakeregistry"
)

func TestParseRef(t *testing.T) {
	d := "sha256:" + strings.Repeat("ab", 32)
	for _, tc := range []struct {
		in                  string
		registry, repo, tag string
		wantErr             string
	}{
		{in: "127.0.0.1:5443/inter-hub@" + d, registry: "127.0.0.1:5443", repo: "inter-hub"},
		{in: "127.0.0.1:5443/team/inter-hub:v1@" + d, registry: "127.0.0.1:5443", repo: "team/inter-hub", tag: "v1"},
		{in: "localhost/app@" + d, registry: "localhost", repo: "app"},
		{in: "nginx@" + d, registry: "docker.io", repo: "library/nginx"},
		{in: "127.0.0.1:5443/inter-hub:v1", wantErr: "not pinned by digest"},
		{in: "127.0.0.1:5443/inter-hub@sha256:abc", wantErr: "not a sha256 digest"},
	} {
		r, err := ParseRef(tc.in)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("%s: error %v, want %q", tc.in, err, tc.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tc.in, err)
			continue
		}
		if r.Registry != tc.registry || r.Repository != tc.repo || r.Tag != tc.tag || r.Digest != d {
			t.Errorf("%s: parsed %+v", tc.in, r)
		}
	}
}

func TestStaticDirs(t *testing.T) {
	if got := strings.Join(StaticDirs("/app"), ","); got != "app/static,static" {
		t.Errorf("StaticDirs(/app) = %s", got)
	}
	if got := strings.Join(StaticDirs("/srv/hub/"), ","); got != "srv/hub/static,app/static,static" {
		t.Errorf("StaticDirs(/srv/hub/) = %s", got)
	}
	if got := strings.Join(StaticDirs(""), ","); got != "app/static,static" {
		t.Errorf("StaticDirs('') = %s", got)
	}
}

func newStore(t *testing.T, reg *fakeregistry.Registry, password string) *Store {
	return NewStore(&Registry{Host: reg.Host(), User: reg.User, Password: password, HTTP: reg.Server.Client()}, 2, 1<<20)
}

func ref(t *testing.T, s string) Ref {
	t.Helper()
	r, err := ParseRef(s)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// Two layers as a build would stack them: the upper one replaces the stylesheet, deletes a
// script with a whiteout and hides a directory with an opaque marker.
func TestStoreReadsStaticFilesAcrossLayers(t *testing.T) {
	reg := fakeregistry.New(t, "pusher", "pw")
	lower := fakeregistry.Layer(t, true,
		fakeregistry.File{Name: "app/static/app.css", Body: "/* v1 */"},
		fakeregistry.File{Name: "app/static/old.js", Body: "old()"},
		fakeregistry.File{Name: "./app/static/img/logo.svg", Body: "<svg/>"},
		fakeregistry.File{Name: "app/static/fonts/a.woff2", Body: "font"},
		fakeregistry.File{Name: "app/bin/inter-hub", Body: "binary, not kept"},
	)
	upper := fakeregistry.Layer(t, false,
		fakeregistry.File{Name: "app/static/app.css", Body: "body { color: teal }"},
		fakeregistry.File{Name: "app/static/.wh.old.js"},
		fakeregistry.File{Name: "app/static/fonts/.wh..wh..opq"},
		fakeregistry.File{Name: "app/static/fonts/b.woff2", Body: "new font"},
		fakeregistry.File{Name: "app/static/main.css", Typeflag: tar.TypeSymlink, Linkname: "app.css"},
		fakeregistry.File{Name: "app/static/copy.css", Typeflag: tar.TypeLink, Linkname: "app/static/app.css"},
	)
	d := reg.Push(t, "inter-hub", "/app", map[string]string{"org.opencontainers.image.revision": "abc123"}, lower, upper)
	s := newStore(t, reg, "pw")
	img, err := s.Get(context.Background(), ref(t, reg.Host()+"/inter-hub@"+d))
	if err != nil {
		t.Fatal(err)
	}
	if img.StaticDir != "app/static" || img.Revision() != "abc123" || img.WorkingDir != "/app" {
		t.Fatalf("image %+v", img)
	}
	want := map[string]string{
		"app.css": "body { color: teal }", "main.css": "body { color: teal }", "copy.css": "body { color: teal }",
		"img/logo.svg": "<svg/>", "fonts/b.woff2": "new font",
	}
	for name, body := range want {
		data, mod, ok := img.StaticFile(name)
		if !ok || string(data) != body {
			t.Errorf("%s: %q %v, want %q", name, data, ok, body)
		}
		if !mod.Equal(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)) {
			t.Errorf("%s: modification time %v", name, mod)
		}
	}
	for _, name := range []string{"old.js", "fonts/a.woff2", "../bin/inter-hub", "img/../../bin/inter-hub", "", "img//logo.svg"} {
		if data, _, ok := img.StaticFile(name); ok {
			t.Errorf("%s: served %q, want nothing", name, data)
		}
	}

	// Cached by digest: the registry is not asked again.
	n := reg.Requests.Load()
	if _, err := s.Get(context.Background(), ref(t, reg.Host()+"/inter-hub:any-tag@"+d)); err != nil {
		t.Fatal(err)
	}
	if reg.Requests.Load() != n {
		t.Errorf("second Get asked the registry again (%d -> %d requests)", n, reg.Requests.Load())
	}
}

func TestStoreFetchesOnceForConcurrentRequests(t *testing.T) {
	reg := fakeregistry.New(t, "u", "p")
	d := reg.Push(t, "r", "/app", nil, fakeregistry.Layer(t, true, fakeregistry.File{Name: "app/static/app.css", Body: "x"}))
	s := newStore(t, reg, "p")
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := s.Get(context.Background(), ref(t, reg.Host()+"/r@"+d))
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	// manifest + config + one layer
	if n := reg.Requests.Load(); n != 3 {
		t.Errorf("%d registry requests for 8 concurrent Gets, want 3", n)
	}
}

func TestStoreEvictsLeastRecentlyUsed(t *testing.T) {
	reg := fakeregistry.New(t, "u", "p")
	s := newStore(t, reg, "p") // keeps 2
	var refs []Ref
	for i := range 3 {
		d := reg.Push(t, "r", "/app", nil, fakeregistry.Layer(t, false, fakeregistry.File{Name: "app/static/app.css", Body: strings.Repeat("x", i+1)}))
		refs = append(refs, ref(t, reg.Host()+"/r@"+d))
	}
	for _, r := range refs {
		if _, err := s.Get(context.Background(), r); err != nil {
			t.Fatal(err)
		}
	}
	if s.Cached() != 2 {
		t.Fatalf("%d images cached, want 2", s.Cached())
	}
	n := reg.Requests.Load()
	if _, err := s.Get(context.Background(), refs[2]); err != nil {
		t.Fatal(err)
	}
	if reg.Requests.Load() != n {
		t.Error("the most recent image was evicted")
	}
	if _, err := s.Get(context.Background(), refs[0]); err != nil {
		t.Fatal(err)
	}
	if reg.Requests.Load() == n {
		t.Error("the oldest image was still cached")
	}
}

func TestStoreErrors(t *testing.T) {
	reg := fakeregistry.New(t, "u", "p")
	layer := fakeregistry.Layer(t, false, fakeregistry.File{Name: "app/static/app.css", Body: "x"})
	d := reg.Push(t, "r", "/app", nil, layer)

	if _, err := newStore(t, reg, "wrong").Get(context.Background(), ref(t, reg.Host()+"/r@"+d)); err == nil ||
		!strings.Contains(err.Error(), "HTTP 401") {
		t.Errorf("wrong password: %v", err)
	}
	s := newStore(t, reg, "p")
	if _, err := s.Get(context.Background(), ref(t, "registry.example:5000/r@"+d)); err == nil ||
		!strings.Contains(err.Error(), "pulls only from "+reg.Host()) {
		t.Errorf("other registry: %v", err)
	}
	missing := "sha256:" + strings.Repeat("0", 64)
	if _, err := s.Get(context.Background(), ref(t, reg.Host()+"/r@"+missing)); err == nil || !strings.Contains(err.Error(), "MANIFEST_UNKNOWN") {
		t.Errorf("unknown digest: %v", err)
	}

	// A layer whose bytes do not match its digest is refused, and the failure is not cached.
	reg.Corrupt(fakeregistry.Digest(layer), 512) // the stylesheet's first byte, after its tar header
	_, err := s.Get(context.Background(), ref(t, reg.Host()+"/r@"+d))
	if err == nil || !strings.Contains(err.Error(), "content has digest") {
		t.Fatalf("corrupt layer: %v", err)
	}
	if s.Cached() != 0 {
		t.Errorf("a failed image is cached")
	}

	// Static files beyond the limit.
	big := reg.Push(t, "r", "/app", nil, fakeregistry.Layer(t, false, fakeregistry.File{Name: "app/static/big.bin", Body: strings.Repeat("b", 2<<20)}))
	if _, err := s.Get(context.Background(), ref(t, reg.Host()+"/r@"+big)); err == nil || !strings.Contains(err.Error(), "larger than 1 MiB") {
		t.Errorf("oversized static files: %v", err)
	}
}

func TestImageWithoutStaticDir(t *testing.T) {
	reg := fakeregistry.New(t, "u", "p")
	d := reg.Push(t, "r", "/", nil, fakeregistry.Layer(t, true, fakeregistry.File{Name: "bin/app", Body: "x"}),
		fakeregistry.Layer(t, true, fakeregistry.File{Name: "static/app.css", Body: "root static"}))
	img, err := newStore(t, reg, "p").Get(context.Background(), ref(t, reg.Host()+"/r@"+d))
	if err != nil {
		t.Fatal(err)
	}
	if img.StaticDir != "static" {
		t.Fatalf("static dir %q, want static", img.StaticDir)
	}
	if data, _, ok := img.StaticFile("app.css"); !ok || string(data) != "root static" {
		t.Errorf("app.css: %q %v", data, ok)
	}
}
