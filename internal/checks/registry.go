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

// RegistryTarget is the image registry the build pushes to and the nodes pull from.
type RegistryTarget struct {
	Host     string // host[:port]
	CA       []byte // PEM; nil means the system roots
	Username string
	Password string
	// PullUsername and PullPassword are the account of the pods' pull secret; empty skips it.
	PullUsername string
	PullPassword string
}

// Registry passes when https://host/v2/ answers as a registry API and accepts the push
// credentials and the pull credentials (HTTP basic, or the bearer-token flow that most
// registries use). A refused account fails the gate with the registry's own answer: a wrong
// pull secret would otherwise show only as pods that never start.
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

		anon, err := registryGet(ctx, client, base, "", "")
		if err != nil {
			return "", err
		}
		switch anon.status {
		case http.StatusOK:
			return "registry answers /v2/ without authentication", nil
		case http.StatusUnauthorized:
		default:
			return "", fmt.Errorf("GET %s: HTTP %d, not a registry API answer", base, anon.status)
		}
		login := func(role, user, password string) error {
			var ans answer
			scheme, params := parseChallenge(anon.challenge)
			switch scheme {
			case "basic":
				ans, err = registryGet(ctx, client, base, user, password)
			case "bearer":
				realm, perr := url.Parse(params["realm"])
				if perr != nil || params["realm"] == "" {
					return fmt.Errorf("GET %s: bearer challenge without a usable realm", base)
				}
				q := realm.Query()
				if s := params["service"]; s != "" {
					q.Set("service", s)
				}
				realm.RawQuery = q.Encode()
				ans, err = registryGet(ctx, client, realm.String(), user, password)
			default:
				return fmt.Errorf("GET %s: unsupported authentication challenge %q", base, anon.challenge)
			}
			if err != nil {
				return err
			}
			if ans.status != http.StatusOK {
				return fmt.Errorf("the registry at %s refused the %s account %s (HTTP %d%s)", r.Host, role, user, ans.status, ans.said())
			}
			return nil
		}
		if err := login("push", r.Username, r.Password); err != nil {
			return "", err
		}
		if r.PullUsername == "" {
			return "registry accepts user " + r.Username, nil
		}
		if err := login("pull", r.PullUsername, r.PullPassword); err != nil {
			return "", err
		}
		return "registry accepts users " + r.Username + " (push) and " + r.PullUsername + " (pull)", nil
	}}
}

// answer is what the registry said to one request.
type answer struct {
	status    int
	challenge string // WWW-Authenticate
	errors    []string
}

// said quotes the registry's own error messages, if it gave any.
func (a answer) said() string {
	if len(a.errors) == 0 {
		return ""
	}
	return ": " + strings.Join(a.errors, "; ")
}

func registryGet(ctx context.Context, client *http.Client, u, user, password string) (answer, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return answer{}, err
	}
	if user != "" {
		req.SetBasicAuth(user, password)
	}
	resp, err := client.Do(req)
	if err != nil {
		return answer{}, fmt.Errorf("registry unreachable: %w", err)
	}
	defer resp.Body.Close()
	a := answer{status: resp.StatusCode, challenge: resp.Header.Get("WWW-Authenticate")}
	// The distribution spec's error body: {"errors":[{"code":..,"message":..}]}.
	var body struct {
		Errors []struct{ Code, Message string } `json:"errors"`
	}
	if json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&body) == nil {
		for _, e := range body.Errors {
			a.errors = append(a.errors, strings.TrimSpace(e.Code+" "+e.Message))
		}
	}
	return a, nil
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
