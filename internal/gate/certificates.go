package gate

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/coulomb-social/inter-hub-deploy/internal/kubeconfig"
)

// CertificateTarget is where the Ingress's certificate comes from: exactly one of
// ClusterIssuer, CertResolver and Secret is set.
type CertificateTarget struct {
	// Key is the configuration key that chose the source, for the messages.
	Key string
	// ClusterIssuer: cert-manager's cluster-scoped issuer.
	ClusterIssuer string
	// CertResolver: a Traefik ACME resolver, defined in the arguments of Traefik's Deployment.
	CertResolver                        string
	TraefikNamespace, TraefikDeployment string
	// Secret: an existing TLS Secret in SecretNamespace (nothing in the program creates it).
	Secret, SecretNamespace string
}

// Certificates passes when the certificate source the Ingress names exists: without it the
// Ingress is created and then serves no valid certificate (or none at all).
func Certificates(enabled bool, t *kubeconfig.Target, c CertificateTarget) Check {
	return Check{Name: "certificates", Enabled: enabled, Probe: func(ctx context.Context) (string, error) {
		switch {
		case c.ClusterIssuer != "":
			return clusterIssuer(ctx, t, c)
		case c.CertResolver != "":
			return certResolver(ctx, t, c)
		case c.Secret != "":
			return tlsSecret(ctx, t, c)
		}
		return "", fmt.Errorf("no certificate source to check")
	}}
}

func clusterIssuer(ctx context.Context, t *kubeconfig.Target, c CertificateTarget) (string, error) {
	var issuer struct {
		Status struct {
			Conditions []struct{ Type, Status, Reason, Message string } `json:"conditions"`
		} `json:"status"`
	}
	found, err := apiGet(ctx, t, "/apis/cert-manager.io/v1/clusterissuers/"+c.ClusterIssuer, &issuer)
	if err != nil {
		return "", err
	}
	if !found {
		var group map[string]any
		if installed, err := apiGet(ctx, t, "/apis/cert-manager.io/v1", &group); err == nil && !installed {
			return "", fmt.Errorf("ClusterIssuer %s (%s) cannot exist: cert-manager is not installed (the cluster serves no cert-manager.io/v1 API)", c.ClusterIssuer, c.Key)
		}
		return "", fmt.Errorf("ClusterIssuer %s (%s) not found", c.ClusterIssuer, c.Key)
	}
	for _, cond := range issuer.Status.Conditions {
		if cond.Type != "Ready" {
			continue
		}
		if cond.Status != "True" {
			return "", fmt.Errorf("ClusterIssuer %s (%s) is not Ready: %s %s", c.ClusterIssuer, c.Key, cond.Reason, strings.TrimSpace(cond.Message))
		}
		return "ClusterIssuer " + c.ClusterIssuer + " is Ready", nil
	}
	return "ClusterIssuer " + c.ClusterIssuer + " exists (it reports no Ready condition)", nil
}

// resolverFlag is the prefix of every static-configuration flag of a certificate resolver.
// Traefik matches flag names without regard to case; the resolver's name is a map key and keeps
// its case.
const resolverFlag = "certificatesresolvers."

func certResolver(ctx context.Context, t *kubeconfig.Target, c CertificateTarget) (string, error) {
	var dep deployment
	name := c.TraefikNamespace + "/" + c.TraefikDeployment
	found, err := apiGet(ctx, t, fmt.Sprintf("/apis/apps/v1/namespaces/%s/deployments/%s", c.TraefikNamespace, c.TraefikDeployment), &dep)
	if err != nil {
		return "", err
	}
	if !found {
		return "", fmt.Errorf("Traefik's Deployment %s not found, so its resolver %s (%s) cannot be checked", name, c.CertResolver, c.Key)
	}
	defined := map[string]bool{}
	for _, ctr := range dep.Spec.Template.Spec.Containers {
		for _, arg := range append(append([]string(nil), ctr.Command...), ctr.Args...) {
			flag := strings.TrimLeft(arg, "-")
			if len(flag) == len(arg) || len(flag) < len(resolverFlag) || !strings.EqualFold(flag[:len(resolverFlag)], resolverFlag) {
				continue
			}
			if resolver, _, ok := strings.Cut(flag[len(resolverFlag):], "."); ok && resolver != "" {
				defined[resolver] = true
			}
		}
	}
	if defined[c.CertResolver] {
		return "Traefik " + name + " defines the resolver " + c.CertResolver, nil
	}
	names := make([]string, 0, len(defined))
	for n := range defined {
		names = append(names, n)
	}
	sort.Strings(names)
	have := "none"
	if len(names) > 0 {
		have = strings.Join(names, ", ")
	}
	return "", fmt.Errorf("Traefik's Deployment %s has no --certificatesresolvers.%s.* argument, so the resolver %s (%s) does not exist (resolvers defined there: %s)",
		name, c.CertResolver, c.CertResolver, c.Key, have)
}

func tlsSecret(ctx context.Context, t *kubeconfig.Target, c CertificateTarget) (string, error) {
	var secret struct {
		Type string            `json:"type"`
		Data map[string]string `json:"data"`
	}
	name := c.SecretNamespace + "/" + c.Secret
	found, err := apiGet(ctx, t, fmt.Sprintf("/api/v1/namespaces/%s/secrets/%s", c.SecretNamespace, c.Secret), &secret)
	if err != nil {
		return "", err
	}
	if !found {
		return "", fmt.Errorf("TLS Secret %s (%s) not found; nothing in this program creates it", name, c.Key)
	}
	_, crt := secret.Data["tls.crt"]
	_, key := secret.Data["tls.key"]
	if !crt || !key {
		return "", fmt.Errorf("Secret %s (%s) holds no tls.crt and tls.key (type %s)", name, c.Key, secret.Type)
	}
	return "TLS Secret " + name + " present", nil
}
