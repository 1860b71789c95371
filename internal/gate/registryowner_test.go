package gate

import (
	"crypto/tls"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/coulomb-social/inter-hub-deploy/test/support/fixture"
)

// giteaAPI answers /api/v1/packages/{owner} as Gitea does: 404 for an unknown owner, 401 for a
// wrong password, 403 for an account without access to the owner's packages.
func giteaAPI(t *testing.T, f *fixture.Fixture) string {
	t.Helper()
	pair, err := tls.X509KeyPair(f.CertPEM, f.KeyPEM)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		user, pass, _ := r.BasicAuth()
		owner, ok := strings.CutPrefix(r.URL.Path, "/api/v1/packages/")
		w.Header().Set("Content-Type", "application/json")
		switch {
		case !ok:
			w.WriteHeader(http.StatusNotFound)
		case pass != "right":
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = w.Write([]byte(`{"message":"user does not exist"}`))
		case owner != "coulomb" && owner != "other":
			w.WriteHeader(http.StatusNotFound)
			_, _ = w.Write([]byte(`{"message":"GetUserByName"}`))
		case owner == "other" || user != "interhub-push":
			w.WriteHeader(http.StatusForbidden)
			_, _ = w.Write([]byte(`{"message":"user should have specific permission or be a site admin"}`))
		default:
			_, _ = w.Write([]byte(`[]`))
		}
	}))
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{pair}}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "https://")
}

func TestRegistryOwner(t *testing.T) {
	f := fixture.New(t, "")
	host := giteaAPI(t, f)
	r := RegistryOwnerTarget{Host: host, CA: f.CertPEM, Owner: "coulomb", Username: "interhub-push", Password: "right"}
	if d, err := probe(t, RegistryOwner(true, r)); err != nil || d != "Gitea owner coulomb exists; interhub-push can read its packages" {
		t.Errorf("good: %q, %v", d, err)
	}
	for _, c := range []struct {
		change func(*RegistryOwnerTarget)
		want   string
	}{
		{func(r *RegistryOwnerTarget) { r.Owner = "nobody" }, "Gitea at " + host + " has no user or organization nobody (HTTP 404: GetUserByName)"},
		{func(r *RegistryOwnerTarget) { r.Password = "wrong" }, "Gitea at " + host + " refused the push account interhub-push (HTTP 401: user does not exist)"},
		{func(r *RegistryOwnerTarget) { r.Owner = "other" }, "Gitea at " + host + " does not let interhub-push read the packages of other " +
			"(HTTP 403: user should have specific permission or be a site admin): it needs package access to that owner (a token with package scope)"},
	} {
		bad := r
		c.change(&bad)
		if _, err := probe(t, RegistryOwner(true, bad)); err == nil || err.Error() != c.want {
			t.Errorf("got %v\nwant %s", err, c.want)
		}
	}
	bad := r
	bad.CA = nil
	if _, err := probe(t, RegistryOwner(true, bad)); err == nil || !strings.HasPrefix(err.Error(), "Gitea unreachable at "+host+":") {
		t.Errorf("untrusted: %v", err)
	}
}
