package stacks

import (
	"regexp"
	"strings"
	"unicode"
)

// Registry kinds: what serves the registry, which decides the form of a repository path.
const (
	RegistryDistribution = "distribution"
	RegistryGitea        = "gitea"
)

// Registry is where the build pushes the image and the cluster pulls it from.
type Registry struct {
	Kind               string
	Host, Repository   string
	Username, Password string // the build's push account; Password is secret
	// The cluster's read-only pull account, for the pods' imagePullSecrets; PullPassword is secret.
	PullUsername, PullPassword string
	CA                         []byte // PEM, nil for the system roots
}

var repoPath = regexp.MustCompile(`^[a-z0-9]+([._-][a-z0-9]+)*(/[a-z0-9]+([._-][a-z0-9]+)*)*$`)

func (r *reader) registry() Registry {
	g := Registry{
		Host:       r.hostPort("registry.host", true, true),
		Kind:       oneOf(r, "registry.kind", RegistryDistribution, RegistryGitea),
		Repository: r.required("registry.repository"),
	}
	switch repo := g.Repository; {
	case repo == "":
	case g.Host != "" && strings.HasPrefix(repo, g.Host+"/"):
		r.fail("registry.repository", "holds the registry host; set only the path here (%q), the host is inter-hub:registry.host",
			strings.TrimPrefix(repo, g.Host+"/"))
	case !repoPath.MatchString(repo):
		r.fail("registry.repository", "not a repository path (lowercase letters, digits, . _ - and /): %q", repo)
	case g.Kind == RegistryGitea && !strings.Contains(repo, "/"):
		// Gitea files every package under a user or organization: /v2/<owner>/<name>.
		r.fail("registry.repository", "a gitea registry (inter-hub:registry.kind) needs owner/name, like coulomb/%s: %q names no owner", repo, repo)
	}
	g.Username = r.required("registry.username")
	g.Password = r.singleLineSecret("registry.password")
	// The pull account sits in a Secret in the app's namespace, readable by whoever may read
	// Secrets there: it must be a read-only account, not the push one. Its name goes into an
	// HTTP basic auth "user:password" pair, so it cannot hold a colon.
	g.PullUsername = r.required("registry.pullUsername")
	switch v := g.PullUsername; {
	case v == "":
	case strings.ContainsFunc(v, func(c rune) bool { return c == ':' || unicode.IsSpace(c) || unicode.IsControl(c) }):
		r.fail("registry.pullUsername", "must not contain a colon, spaces or control characters: %q", v)
	case v == g.Username:
		r.fail("registry.pullUsername", "must differ from inter-hub:registry.username (%s): pods pull with a read-only account, not the build's push account", v)
	}
	g.PullPassword = r.singleLineSecret("registry.pullPassword")
	if _, set := r.raw("registry.caFile"); set {
		if path, _, content, ok := r.file("registry.caFile"); ok {
			if !strings.Contains(string(content), "-----BEGIN CERTIFICATE-----") {
				r.fail("registry.caFile", "%s: holds no PEM certificate", path)
			} else {
				g.CA = content
			}
		}
	}
	return g
}

// singleLineSecret is a secret that goes into a single-line protocol field (a password on stdin,
// basic auth).
func (r *reader) singleLineSecret(key string) string {
	v := r.secret(key)
	if strings.ContainsAny(v, "\n\r") {
		r.fail(key, "must be a single line")
	}
	return v
}
