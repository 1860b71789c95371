// Package registryapi speaks the registry HTTP API (the distribution spec's /v2/) for the gate's
// registry check and the image contract check: TLS with the stack's CA, HTTP basic or the
// bearer-token flow that Gitea's registry uses, manifests and blobs.
package registryapi

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// ManifestTypes are the manifest media types a pushed image may have (skopeo keeps the
// archive's Docker schema 2; OCI for other builders), single images before indexes.
var ManifestTypes = []string{
	"application/vnd.docker.distribution.manifest.v2+json",
	"application/vnd.oci.image.manifest.v1+json",
	"application/vnd.docker.distribution.manifest.list.v2+json",
	"application/vnd.oci.image.index.v1+json",
}

// HTTPClient trusts ca (PEM), or the system roots when ca is nil.
func HTTPClient(ca []byte) (*http.Client, error) {
	tlsConf := &tls.Config{MinVersion: tls.VersionTLS12}
	if ca != nil {
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(ca) {
			return nil, fmt.Errorf("the registry CA holds no PEM certificate")
		}
		tlsConf.RootCAs = pool
	}
	return &http.Client{Transport: &http.Transport{TLSClientConfig: tlsConf}}, nil
}

// ParseChallenge splits a WWW-Authenticate header such as
// `Bearer realm="https://auth/token",service="registry"` into its lower-case scheme and its
// parameters.
func ParseChallenge(h string) (string, map[string]string) {
	scheme, rest, _ := strings.Cut(strings.TrimSpace(h), " ")
	params := map[string]string{}
	for _, part := range strings.Split(rest, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if ok {
			params[strings.ToLower(k)] = strings.Trim(v, `"`)
		}
	}
	return strings.ToLower(scheme), params
}

// TokenURL is the bearer challenge's realm with its service and, when given, the scope.
func TokenURL(params map[string]string, scope string) (*url.URL, error) {
	realm, err := url.Parse(params["realm"])
	if err != nil || params["realm"] == "" {
		return nil, fmt.Errorf("bearer challenge without a usable realm")
	}
	q := realm.Query()
	if s := params["service"]; s != "" {
		q.Set("service", s)
	}
	if scope != "" {
		q.Set("scope", scope)
	}
	realm.RawQuery = q.Encode()
	return realm, nil
}

// BearerToken gets a token for scope from the challenge's realm (the distribution token flow),
// authenticating with the account.
func BearerToken(ctx context.Context, client *http.Client, params map[string]string, scope, user, password string) (string, error) {
	realm, err := TokenURL(params, scope)
	if err != nil {
		return "", err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, realm.String(), nil)
	if err != nil {
		return "", err
	}
	req.SetBasicAuth(user, password)
	resp, err := client.Do(req)
	if err != nil {
		return "", fmt.Errorf("token endpoint unreachable: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("token endpoint %s: HTTP %d", realm.Host, resp.StatusCode)
	}
	var body struct {
		Token       string `json:"token"`
		AccessToken string `json:"access_token"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&body); err != nil {
		return "", fmt.Errorf("token endpoint %s: %w", realm.Host, err)
	}
	if body.Token != "" {
		return body.Token, nil
	}
	if body.AccessToken != "" {
		return body.AccessToken, nil
	}
	return "", fmt.Errorf("token endpoint %s gave no token", realm.Host)
}

// Repository reads one repository of a registry with an account's pull rights.
type Repository struct {
	Host string // host[:port]
	Name string // e.g. coulomb/inter-hub

	client    *http.Client
	authorize func(*http.Request)
}

// Open connects to the repository: it asks /v2/ how to authenticate and, for the bearer flow,
// gets a pull token for the repository.
func Open(ctx context.Context, host, name string, ca []byte, user, password string) (*Repository, error) {
	client, err := HTTPClient(ca)
	if err != nil {
		return nil, err
	}
	r := &Repository{Host: host, Name: name, client: client, authorize: func(*http.Request) {}}
	base := "https://" + host + "/v2/"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base, nil)
	if err != nil {
		return nil, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("registry %s unreachable: %w", host, err)
	}
	resp.Body.Close()
	switch resp.StatusCode {
	case http.StatusOK:
		return r, nil
	case http.StatusUnauthorized:
	default:
		return nil, fmt.Errorf("GET %s: HTTP %d, not a registry API answer", base, resp.StatusCode)
	}
	scheme, params := ParseChallenge(resp.Header.Get("WWW-Authenticate"))
	switch scheme {
	case "basic":
		r.authorize = func(req *http.Request) { req.SetBasicAuth(user, password) }
	case "bearer":
		token, err := BearerToken(ctx, client, params, "repository:"+name+":pull", user, password)
		if err != nil {
			return nil, fmt.Errorf("registry %s, repository %s: %w", host, name, err)
		}
		r.authorize = func(req *http.Request) { req.Header.Set("Authorization", "Bearer "+token) }
	default:
		return nil, fmt.Errorf("GET %s: unsupported authentication challenge %q", base, resp.Header.Get("WWW-Authenticate"))
	}
	return r, nil
}

// Close releases the repository's idle connections.
func (r *Repository) Close() { r.client.CloseIdleConnections() }

// Manifest is one manifest as the registry serves it.
type Manifest struct {
	MediaType string
	Body      []byte
}

// Manifest fetches the manifest of ref, a tag or a digest.
func (r *Repository) Manifest(ctx context.Context, ref string) (Manifest, error) {
	resp, err := r.get(ctx, "manifests/"+ref, strings.Join(ManifestTypes, ", "))
	if err != nil {
		return Manifest{}, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return Manifest{}, fmt.Errorf("reading the manifest %s@%s: %w", r.Name, ref, err)
	}
	mediaType, _, _ := strings.Cut(resp.Header.Get("Content-Type"), ";")
	return Manifest{MediaType: strings.TrimSpace(mediaType), Body: body}, nil
}

// Blob opens the blob with the given digest (a config or a layer); the caller closes it.
func (r *Repository) Blob(ctx context.Context, digest string) (io.ReadCloser, error) {
	resp, err := r.get(ctx, "blobs/"+digest, "")
	if err != nil {
		return nil, err
	}
	return resp.Body, nil
}

func (r *Repository) get(ctx context.Context, path, accept string) (*http.Response, error) {
	u := "https://" + r.Host + "/v2/" + r.Name + "/" + path
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	r.authorize(req)
	resp, err := r.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", u, err)
	}
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		return nil, fmt.Errorf("GET %s: HTTP %d", u, resp.StatusCode)
	}
	return resp, nil
}
