// Package fakeregistry is an in-memory Docker distribution registry over TLS with basic auth,
// for the edge's unit tests: images are pushed as layer tars and read back by digest.
package fakeregistry

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Registry serves pushed manifests and blobs to clients with the right credentials.
type Registry struct {
	Server         *httptest.Server
	User, Password string
	Requests       atomic.Int64 // authorised GETs of manifests and blobs

	mu        sync.Mutex
	manifests map[string][]byte // "repo@digest"
	blobs     map[string][]byte // digest
	corrupt   map[string]int    // blobs served with the byte at this offset altered
}

// New starts a registry; it stops when the test ends.
func New(t testing.TB, user, password string) *Registry {
	r := &Registry{User: user, Password: password, manifests: map[string][]byte{}, blobs: map[string][]byte{}, corrupt: map[string]int{}}
	r.Server = httptest.NewTLSServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.Server.Close)
	return r
}

// Host is host:port, as in image references.
func (r *Registry) Host() string { return strings.TrimPrefix(r.Server.URL, "https://") }

// File is one tar entry of a layer.
type File struct {
	Name     string
	Body     string
	Typeflag byte   // tar.TypeReg when 0
	Linkname string // for links
}

// Layer builds a layer tar, gzipped when zip is true.
func Layer(t testing.TB, zip bool, files ...File) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, f := range files {
		h := &tar.Header{Name: f.Name, Mode: 0o644, Size: int64(len(f.Body)), Typeflag: f.Typeflag,
			Linkname: f.Linkname, ModTime: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
		if h.Typeflag == 0 {
			h.Typeflag = tar.TypeReg
		}
		if h.Typeflag != tar.TypeReg {
			h.Size = 0
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if h.Typeflag == tar.TypeReg {
			if _, err := tw.Write([]byte(f.Body)); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if !zip {
		return buf.Bytes()
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	_, _ = zw.Write(buf.Bytes())
	_ = zw.Close()
	return gz.Bytes()
}

// Digest is the sha256 digest of b.
func Digest(b []byte) string {
	s := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(s[:])
}

// Push stores an image (a Docker v2 manifest) with the given working directory, labels and
// layers, and returns its manifest digest.
func (r *Registry) Push(t testing.TB, repo, workingDir string, labels map[string]string, layers ...[]byte) string {
	t.Helper()
	cfg, err := json.Marshal(map[string]any{
		"architecture": "amd64", "os": "linux",
		"config": map[string]any{"WorkingDir": workingDir, "Labels": labels},
	})
	if err != nil {
		t.Fatal(err)
	}
	type desc struct {
		MediaType string `json:"mediaType"`
		Digest    string `json:"digest"`
		Size      int    `json:"size"`
	}
	m := struct {
		SchemaVersion int    `json:"schemaVersion"`
		MediaType     string `json:"mediaType"`
		Config        desc   `json:"config"`
		Layers        []desc `json:"layers"`
	}{2, "application/vnd.docker.distribution.manifest.v2+json",
		desc{"application/vnd.docker.container.image.v1+json", Digest(cfg), len(cfg)}, nil}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.blobs[Digest(cfg)] = cfg
	for _, l := range layers {
		mt := "application/vnd.docker.image.rootfs.diff.tar"
		if len(l) > 1 && l[0] == 0x1f && l[1] == 0x8b {
			mt += ".gzip"
		}
		m.Layers = append(m.Layers, desc{mt, Digest(l), len(l)})
		r.blobs[Digest(l)] = l
	}
	body, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	d := Digest(body)
	r.manifests[repo+"@"+d] = body
	return d
}

// Corrupt makes the registry serve the blob with the byte at offset changed.
func (r *Registry) Corrupt(digest string, offset int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.corrupt[digest] = offset
}

func (r *Registry) serve(w http.ResponseWriter, req *http.Request) {
	u, p, ok := req.BasicAuth()
	if !ok || u != r.User || p != r.Password {
		w.Header().Set("WWW-Authenticate", `Basic realm="fake"`)
		http.Error(w, `{"errors":[{"code":"UNAUTHORIZED"}]}`, http.StatusUnauthorized)
		return
	}
	path := strings.TrimPrefix(req.URL.Path, "/v2/")
	r.mu.Lock()
	defer r.mu.Unlock()
	if i := strings.LastIndex(path, "/manifests/"); i >= 0 {
		body, ok := r.manifests[path[:i]+"@"+path[i+len("/manifests/"):]]
		if !ok {
			http.Error(w, `{"errors":[{"code":"MANIFEST_UNKNOWN"}]}`, http.StatusNotFound)
			return
		}
		r.Requests.Add(1)
		w.Header().Set("Content-Type", "application/vnd.docker.distribution.manifest.v2+json")
		_, _ = w.Write(body)
		return
	}
	if i := strings.LastIndex(path, "/blobs/"); i >= 0 {
		d := path[i+len("/blobs/"):]
		body, ok := r.blobs[d]
		if !ok {
			http.Error(w, `{"errors":[{"code":"BLOB_UNKNOWN"}]}`, http.StatusNotFound)
			return
		}
		r.Requests.Add(1)
		if off, ok := r.corrupt[d]; ok && off < len(body) {
			body = append([]byte{}, body...)
			body[off] ^= 0xff
		}
		_, _ = w.Write(body)
		return
	}
	http.NotFound(w, req)
}
