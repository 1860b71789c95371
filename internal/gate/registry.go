package gate

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/opencontainers/go-digest"

	"github.com/coulomb-social/inter-hub-deploy/internal/registryapi"
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
	// Lookup, when set, asks the registry whether the revision's image is there already.
	Lookup *ImageLookup
}

// ImageLookup is one image tag the registry check asks for with the push account. The gate
// fills in Digest when the registry has the tag: then no build runs, and the build host is not
// needed.
type ImageLookup struct {
	Repository string // path in the registry, e.g. coulomb/inter-hub
	Tag        string // git-<commit>
	Digest     string // sha256:<hex>, set when found
}

// Registry passes when https://host/v2/ answers as a registry API and accepts the push
// credentials and the pull credentials (HTTP basic, or the bearer-token flow that most
// registries use). A refused account fails the gate with the registry's own answer: a wrong
// pull secret would otherwise show only as pods that never start.
func Registry(enabled bool, r RegistryTarget) Check {
	return Check{Name: "registry", Enabled: enabled, Probe: func(ctx context.Context) (string, error) {
		client, err := registryapi.HTTPClient(r.CA)
		if err != nil {
			return "", err
		}
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
		scheme, params := registryapi.ParseChallenge(anon.challenge)
		login := func(role, user, password string) error {
			var ans answer
			switch scheme {
			case "basic":
				ans, err = registryGet(ctx, client, base, user, password)
			case "bearer":
				realm, uerr := registryapi.TokenURL(params, "")
				if uerr != nil {
					return fmt.Errorf("GET %s: %w", base, uerr)
				}
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
		found := ""
		if r.Lookup != nil {
			digest, err := r.manifestDigest(ctx, client, scheme, params)
			if err != nil {
				return "", err
			}
			r.Lookup.Digest = digest
			if digest != "" {
				found = "; image " + r.Lookup.Repository + ":" + r.Lookup.Tag + " is there (" + digest + ")"
			} else {
				found = "; image " + r.Lookup.Repository + ":" + r.Lookup.Tag + " is not there yet"
			}
		}
		if r.PullUsername == "" {
			return "registry accepts user " + r.Username + found, nil
		}
		if err := login("pull", r.PullUsername, r.PullPassword); err != nil {
			return "", err
		}
		return "registry accepts users " + r.Username + " (push) and " + r.PullUsername + " (pull)" + found, nil
	}}
}

// manifestDigest asks for the lookup's tag with the push account: its digest, or "" when the
// registry answers 404 (no such tag or repository).
func (r RegistryTarget) manifestDigest(ctx context.Context, client *http.Client, scheme string, params map[string]string) (string, error) {
	l := r.Lookup
	target := "https://" + r.Host + "/v2/" + l.Repository + "/manifests/" + l.Tag
	authorize := func(req *http.Request) { req.SetBasicAuth(r.Username, r.Password) }
	if scheme == "bearer" {
		token, err := registryapi.BearerToken(ctx, client, params, "repository:"+l.Repository+":pull", r.Username, r.Password)
		if err != nil {
			return "", fmt.Errorf("looking up %s:%s: %w", l.Repository, l.Tag, err)
		}
		authorize = func(req *http.Request) { req.Header.Set("Authorization", "Bearer "+token) }
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodHead, target, nil)
	if err != nil {
		return "", err
	}
	req.Header.Set("Accept", strings.Join(registryapi.ManifestTypes, ", "))
	authorize(req)
	resp, err := client.Do(req)
	if err != nil {
		return "", fmt.Errorf("looking up %s:%s: registry unreachable: %w", l.Repository, l.Tag, err)
	}
	resp.Body.Close()
	switch resp.StatusCode {
	case http.StatusOK:
		dgst := resp.Header.Get("Docker-Content-Digest")
		if d, err := digest.Parse(dgst); err != nil || d.Algorithm() != digest.SHA256 {
			return "", fmt.Errorf("HEAD %s: the registry gave digest %q, not sha256:<64 hex>", target, dgst)
		}
		return dgst, nil
	case http.StatusNotFound:
		return "", nil
	default:
		return "", fmt.Errorf("HEAD %s with the push account: HTTP %d", target, resp.StatusCode)
	}
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

// RegistryOwnerTarget is the owner of a repository in Gitea's package registry.
type RegistryOwnerTarget struct {
	Host               string // host[:port] of the Gitea instance that serves the registry
	CA                 []byte
	Owner              string // the user or organization the repository belongs to
	Username, Password string // the push account
}

// RegistryOwner passes when Gitea knows the owner and lets the push account read its packages
// (GET /api/v1/packages/{owner}): a push to an owner that does not exist, or that the account
// may not see, fails only in the middle of the build.
func RegistryOwner(enabled bool, r RegistryOwnerTarget) Check {
	return Check{Name: "registryOwner", Enabled: enabled, Probe: func(ctx context.Context) (string, error) {
		client, err := registryapi.HTTPClient(r.CA)
		if err != nil {
			return "", err
		}
		defer client.CloseIdleConnections()
		u := "https://" + r.Host + "/api/v1/packages/" + url.PathEscape(r.Owner) + "?limit=1"
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
		if err != nil {
			return "", err
		}
		req.SetBasicAuth(r.Username, r.Password)
		req.Header.Set("Accept", "application/json")
		resp, err := client.Do(req)
		if err != nil {
			return "", fmt.Errorf("Gitea unreachable at %s: %w", r.Host, err)
		}
		defer resp.Body.Close()
		var body struct {
			Message string `json:"message"`
		}
		_ = json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&body)
		said := ""
		if m := strings.TrimSpace(body.Message); m != "" {
			said = ": " + m
		}
		switch resp.StatusCode {
		case http.StatusOK:
			return "Gitea owner " + r.Owner + " exists; " + r.Username + " can read its packages", nil
		case http.StatusNotFound:
			return "", fmt.Errorf("Gitea at %s has no user or organization %s (HTTP 404%s)", r.Host, r.Owner, said)
		case http.StatusUnauthorized:
			return "", fmt.Errorf("Gitea at %s refused the push account %s (HTTP 401%s)", r.Host, r.Username, said)
		case http.StatusForbidden:
			return "", fmt.Errorf("Gitea at %s does not let %s read the packages of %s (HTTP 403%s): it needs package access to that owner (a token with package scope)",
				r.Host, r.Username, r.Owner, said)
		}
		return "", fmt.Errorf("GET %s: HTTP %d%s", strings.TrimSuffix(u, "?limit=1"), resp.StatusCode, said)
	}}
}
