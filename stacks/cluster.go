package stacks

import (
	"path/filepath"
	"strings"
	"time"

	"github.com/coulomb-social/inter-hub-deploy/internal/kubeconfig"
)

// Kubernetes is the target cluster and the app's namespace.
type Kubernetes struct {
	// Kubeconfig is the file's content with file references inlined. Secret.
	Kubeconfig string
	Context    string // the context in use (never empty)
	Target     *kubeconfig.Target
	Namespace  string
}

// Gate says which readiness checks run before anything changes, and how long each may take.
type Gate struct {
	Nodes, Traefik, Postgres, Registry, BuildHost bool
	Pgpool, Certificates, ImageContract           bool
	TraefikNamespace, TraefikDeployment           string
	Timeout                                       time.Duration
}

func (r *reader) kubernetes() Kubernetes {
	k := Kubernetes{Namespace: r.dnsLabel("kubernetes.namespace", 63)}
	context := r.str("kubernetes.context")
	server := r.str("kubernetes.server")
	path, abs, content, ok := r.file("kubernetes.kubeconfig")
	if !ok {
		return k
	}
	target, err := kubeconfig.Parse(content, filepath.Dir(abs), context)
	switch {
	case err != nil:
		r.fail("kubernetes.kubeconfig", "%s: %v", path, err)
	case server != "" && strings.TrimRight(target.Server, "/") != strings.TrimRight(server, "/"):
		// A kubeconfig of another cluster is the costliest typo there is.
		r.fail("kubernetes.kubeconfig", "%s: context %s points at %s, but inter-hub:kubernetes.server expects %s",
			path, target.Context, target.Server, server)
	default:
		inlined, err := kubeconfig.Inline(content, filepath.Dir(abs))
		if err != nil {
			r.fail("kubernetes.kubeconfig", "%s: %v", path, err)
		}
		k.Kubeconfig, k.Context, k.Target = string(inlined), target.Context, target
	}
	return k
}

func (r *reader) gate() Gate {
	g := Gate{
		Nodes:         r.boolean("gate.nodes"),
		Traefik:       r.boolean("gate.traefik"),
		Postgres:      r.boolean("gate.postgres"),
		Registry:      r.boolean("gate.registry"),
		BuildHost:     r.boolean("gate.buildHost"),
		Pgpool:        r.boolean("gate.pgpool"),
		Certificates:  r.boolean("gate.certificates"),
		ImageContract: r.boolean("gate.imageContract"),
		Timeout:       time.Duration(r.integer("gate.timeoutSeconds", 1, 600)) * time.Second,
	}
	if v := r.str("gate.traefikDeployment"); v != "" {
		ns, name, ok := strings.Cut(v, "/")
		if !ok || !isDNSLabel(ns) || !isDNSSubdomain(name) {
			r.fail("gate.traefikDeployment", "must be namespace/name, not %q", v)
		}
		g.TraefikNamespace, g.TraefikDeployment = ns, name
	}
	return g
}
