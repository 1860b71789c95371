package sandboxenv

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"time"
)

// TLSConfig trusts the sandbox CA only.
func (r Registry) TLSConfig() (*tls.Config, error) { return caTLSConfig("registry", r.CAFile) }

// caTLSConfig is a TLS client configuration that trusts only the CA in file (what names it).
func caTLSConfig(what, file string) (*tls.Config, error) {
	pem, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("%s CA: %w", what, err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("%s CA %s: no certificate found", what, file)
	}
	return &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}, nil
}

// HTTPClient talks to the registry over TLS verified against the sandbox CA.
func (r Registry) HTTPClient() (*http.Client, error) {
	cfg, err := r.TLSConfig()
	if err != nil {
		return nil, err
	}
	return &http.Client{Timeout: 15 * time.Second, Transport: &http.Transport{TLSClientConfig: cfg}}, nil
}

// manifestTypes are the manifest media types a digest lookup accepts.
const manifestTypes = "application/vnd.docker.distribution.manifest.v2+json, " +
	"application/vnd.oci.image.manifest.v1+json, " +
	"application/vnd.docker.distribution.manifest.list.v2+json, " +
	"application/vnd.oci.image.index.v1+json"

// Digest asks the registry for the manifest digest of repository:reference (a tag or digest),
// with the push credentials. repository is the path after the host, e.g. "inter-hub".
func (r Registry) Digest(ctx context.Context, repository, reference string) (string, error) {
	c, err := r.HTTPClient()
	if err != nil {
		return "", err
	}
	url := fmt.Sprintf("https://%s/v2/%s/manifests/%s", r.Host, repository, reference)
	req, err := http.NewRequestWithContext(ctx, http.MethodHead, url, nil)
	if err != nil {
		return "", err
	}
	req.SetBasicAuth(r.User, r.Password)
	req.Header.Set("Accept", manifestTypes)
	resp, err := c.Do(req)
	if err != nil {
		return "", fmt.Errorf("registry HEAD %s: %w", url, err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("registry HEAD %s: %s", url, resp.Status)
	}
	d := resp.Header.Get("Docker-Content-Digest")
	if d == "" {
		return "", fmt.Errorf("registry HEAD %s: no Docker-Content-Digest header", url)
	}
	return d, nil
}

// DeleteManifest removes a manifest by digest from one repository (other repositories that hold
// the same digest keep it).
func (r Registry) DeleteManifest(ctx context.Context, repository, digest string) error {
	c, err := r.HTTPClient()
	if err != nil {
		return err
	}
	url := fmt.Sprintf("https://%s/v2/%s/manifests/%s", r.Host, repository, digest)
	req, err := http.NewRequestWithContext(ctx, http.MethodDelete, url, nil)
	if err != nil {
		return err
	}
	req.SetBasicAuth(r.User, r.Password)
	resp, err := c.Do(req)
	if err != nil {
		return fmt.Errorf("registry DELETE %s: %w", url, err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		return fmt.Errorf("registry DELETE %s: %s", url, resp.Status)
	}
	return nil
}

// Tags lists the tags of a repository; a repository the registry does not know has none.
func (r Registry) Tags(ctx context.Context, repository string) ([]string, error) {
	c, err := r.HTTPClient()
	if err != nil {
		return nil, err
	}
	url := fmt.Sprintf("https://%s/v2/%s/tags/list", r.Host, repository)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	req.SetBasicAuth(r.User, r.Password)
	resp, err := c.Do(req)
	if err != nil {
		return nil, fmt.Errorf("registry GET %s: %w", url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusNotFound {
		return nil, nil
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("registry GET %s: %s", url, resp.Status)
	}
	var list struct {
		Tags []string `json:"tags"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&list); err != nil {
		return nil, fmt.Errorf("registry GET %s: %w", url, err)
	}
	return list.Tags, nil
}
