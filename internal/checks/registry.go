package checks

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

// RegistryTarget is the image registry the build pushes to.
type RegistryTarget struct {
	Host     string // host[:port]
	CA       []byte // PEM; nil means the system roots
	Username string
	Password string
}

// Registry passes when https://host/v2/ answers as a registry API and accepts the push
// credentials (HTTP basic, or the bearer-token flow that most registries use).
func Registry(enabled bool, r RegistryTarget) Check {
	return Check{Name: "registry", Enabled: enabled, Probe: func(ctx context.Context) (string, error) {
		tlsConf := &tls.Config{MinVersion: tls.VersionTLS12}
		if r.CA != nil {
			pool := x509.NewCertPool()
			if !pool.AppendCertsFromPEM(r.CA) {
				return "", fmt.Errorf("the registry CA holds no PEM certificate")
			}
			tlsConf.RootCAs = pool
		}
		client := &http.Client{Transport: &http.Transport{TLSClientConfig: tlsConf}}
		defer client.CloseIdleConnections()
		base := "https://" + r.Host + "/v2/"

		status, challenge, err := registryGet(ctx, client, base, "", "")
		if err != nil {
			return "", err
		}
		switch status {
		case http.StatusOK:
			return "registry answers /v2/ without authentication", nil
		case http.StatusUnauthorized:
		default:
			return "", fmt.Errorf("GET %s: HTTP %d, not a registry API answer", base, status)
		}
		scheme, params := parseChallenge(challenge)
		switch scheme {
		case "basic":
			status, _, err = registryGet(ctx, client, base, r.Username, r.Password)
		case "bearer":
			realm, perr := url.Parse(params["realm"])
			if perr != nil || params["realm"] == "" {
				return "", fmt.Errorf("GET %s: bearer challenge without a usable realm", base)
			}
			q := realm.Query()
			if s := params["service"]; s != "" {
				q.Set("service", s)
			}
			realm.RawQuery = q.Encode()
			status, _, err = registryGet(ctx, client, realm.String(), r.Username, r.Password)
		default:
			return "", fmt.Errorf("GET %s: unsupported authentication challenge %q", base, challenge)
		}
		if err != nil {
			return "", err
		}
		if status != http.StatusOK {
			return "", fmt.Errorf("the registry at %s refused the credentials of user %s (HTTP %d)", r.Host, r.Username, status)
		}
		return "registry accepts user " + r.Username, nil
	}}
}

func registryGet(ctx context.Context, client *http.Client, u, user, password string) (int, string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return 0, "", err
	}
	if user != "" {
		req.SetBasicAuth(user, password)
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, "", fmt.Errorf("registry unreachable: %w", err)
	}
	defer resp.Body.Close()
	var discard json.RawMessage
	_ = json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&discard)
	return resp.StatusCode, resp.Header.Get("WWW-Authenticate"), nil
}

// parseChallenge splits a WWW-Authenticate header such as
// `Bearer realm="https://auth/token",service="registry"`.
func parseChallenge(h string) (string, map[string]string) {
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
