package image

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash"
	"io"
	"net/http"
	"strings"
)

// Registry is a Docker/OCI distribution registry reached with basic auth (as the sandbox's
// htpasswd-protected docker-registry wants).
type Registry struct {
	Host     string // host:port
	User     string
	Password string
	HTTP     *http.Client // trusts the registry's CA; bounds each call
}

// Media types of manifests and indexes.
const (
	mtDockerManifest = "application/vnd.docker.distribution.manifest.v2+json"
	mtOCIManifest    = "application/vnd.oci.image.manifest.v1+json"
	mtDockerList     = "application/vnd.docker.distribution.manifest.list.v2+json"
	mtOCIIndex       = "application/vnd.oci.image.index.v1+json"
)

type descriptor struct {
	MediaType string `json:"mediaType"`
	Digest    string `json:"digest"`
	Size      int64  `json:"size"`
	Platform  *struct {
		OS           string `json:"os"`
		Architecture string `json:"architecture"`
	} `json:"platform,omitempty"`
}

type manifest struct {
	MediaType string       `json:"mediaType"`
	Config    descriptor   `json:"config"`
	Layers    []descriptor `json:"layers"`
	Manifests []descriptor `json:"manifests"` // an index
}

// imageConfig is the part of the image config the edge uses.
type imageConfig struct {
	Config struct {
		WorkingDir string            `json:"WorkingDir"`
		Labels     map[string]string `json:"Labels"`
	} `json:"config"`
}

func (r *Registry) do(ctx context.Context, path, accept string) (*http.Response, error) {
	url := "https://" + r.Host + path
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	if r.User != "" {
		req.SetBasicAuth(r.User, r.Password)
	}
	resp, err := r.HTTP.Do(req)
	if err != nil {
		return nil, fmt.Errorf("registry %s unreachable: %w", r.Host, err)
	}
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		resp.Body.Close()
		return nil, fmt.Errorf("registry GET %s: HTTP %d: %s", url, resp.StatusCode, strings.TrimSpace(string(body)))
	}
	return resp, nil
}

// manifest fetches the manifest of repository@digest, following an index to its linux/amd64
// entry, and checks that the bytes hash to the digest asked for.
func (r *Registry) manifest(ctx context.Context, repository, digest string) (*manifest, error) {
	for hops := 0; hops < 2; hops++ {
		resp, err := r.do(ctx, "/v2/"+repository+"/manifests/"+digest,
			strings.Join([]string{mtDockerManifest, mtOCIManifest, mtDockerList, mtOCIIndex}, ", "))
		if err != nil {
			return nil, err
		}
		body, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
		resp.Body.Close()
		if err != nil {
			return nil, fmt.Errorf("manifest %s: %w", digest, err)
		}
		if got := sha256Digest(body); got != digest {
			return nil, fmt.Errorf("manifest %s: the registry sent content with digest %s", digest, got)
		}
		var m manifest
		if err := json.Unmarshal(body, &m); err != nil {
			return nil, fmt.Errorf("manifest %s: %w", digest, err)
		}
		if m.MediaType == "" {
			m.MediaType = resp.Header.Get("Content-Type")
		}
		if len(m.Manifests) == 0 {
			return &m, nil
		}
		next := m.Manifests[0].Digest
		for _, d := range m.Manifests {
			if d.Platform != nil && d.Platform.OS == "linux" && d.Platform.Architecture == "amd64" {
				next = d.Digest
				break
			}
		}
		digest = next
	}
	return nil, fmt.Errorf("manifest of %s: an index pointing at another index", repository)
}

// blob opens repository's blob; reading it to the end checks its digest.
func (r *Registry) blob(ctx context.Context, repository, digest string) (io.ReadCloser, error) {
	if !digestRE.MatchString(digest) {
		return nil, fmt.Errorf("blob digest %q is not sha256", digest)
	}
	resp, err := r.do(ctx, "/v2/"+repository+"/blobs/"+digest, "")
	if err != nil {
		return nil, err
	}
	return &verifier{rc: resp.Body, h: sha256.New(), want: digest}, nil
}

func (r *Registry) config(ctx context.Context, repository string, d descriptor) (*imageConfig, error) {
	rc, err := r.blob(ctx, repository, d.Digest)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	body, err := io.ReadAll(io.LimitReader(rc, 4<<20))
	if err != nil {
		return nil, fmt.Errorf("image config %s: %w", d.Digest, err)
	}
	var c imageConfig
	if err := json.Unmarshal(body, &c); err != nil {
		return nil, fmt.Errorf("image config %s: %w", d.Digest, err)
	}
	return &c, nil
}

// verifier hashes what is read and fails at EOF when the hash is not the expected digest.
type verifier struct {
	rc   io.ReadCloser
	h    hash.Hash
	want string
}

func (v *verifier) Read(p []byte) (int, error) {
	n, err := v.rc.Read(p)
	v.h.Write(p[:n])
	if err == io.EOF {
		if got := "sha256:" + hex.EncodeToString(v.h.Sum(nil)); got != v.want {
			return n, fmt.Errorf("blob %s: content has digest %s", v.want, got)
		}
	}
	return n, err
}

func (v *verifier) Close() error { return v.rc.Close() }

func sha256Digest(b []byte) string {
	s := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(s[:])
}
