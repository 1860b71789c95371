package main

import (
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/coulomb-social/inter-hub-deploy/components"
	"github.com/coulomb-social/inter-hub-deploy/internal/gate"
	"github.com/coulomb-social/inter-hub-deploy/internal/imagecontract"
	"github.com/coulomb-social/inter-hub-deploy/stacks"
)

// readinessChecks are the gate's probes for a stack, in the order they are reported. A check
// that does not apply to the stack (pgpool's for a stack without bitnami's pgpool) is disabled.
// Each says what it verifies, naming the keys, so that a run that cannot reach a system lists
// every assumption left unverified in its one report.
//
// The build host is not among them: it is checked (buildHostCheck) only when a build will run,
// which the registry check's lookup of the revision's image decides.
func readinessChecks(cfg *stacks.Config, lookup *gate.ImageLookup) []gate.Check {
	ref := stacks.Ref
	cluster := cfg.Kubernetes.Target
	pgpool := gate.PgpoolTarget{
		Namespace: cfg.Pgpool.Namespace, Service: cfg.Pgpool.Service, Deployment: cfg.Pgpool.Deployment,
		UsersSecret: cfg.Pgpool.UsersSecret,
	}
	if cfg.Pgpool.AppUsesService {
		pgpool.ServicePort = cfg.Postgres.App.Port
	}
	bitnami := cfg.Pgpool.Mode == components.PgpoolBitnami && cfg.Gate.Pgpool
	tls := cfg.Ingress.TLS
	traefik := cfg.Gate.TraefikNamespace + "/" + cfg.Gate.TraefikDeployment
	admin := cfg.Postgres.Admin
	pg := net.JoinHostPort(admin.Host, strconv.Itoa(admin.Port))
	tlsRequired := tlsRequiredBy(cfg.Postgres)
	owner, _, gitea := strings.Cut(cfg.Registry.Repository, "/")
	gitea = gitea && cfg.Registry.Kind == stacks.RegistryGitea

	return []gate.Check{
		assumes(gate.Nodes(cfg.Gate.Nodes, cluster),
			"the cluster at %s (%s) has a Ready node", cluster.Server, ref("kubernetes.kubeconfig")),
		assumes(gate.Traefik(cfg.Gate.Traefik, cluster, gate.TraefikTarget{
			IngressClass:        cfg.Ingress.ClassName,
			DeploymentNamespace: cfg.Gate.TraefikNamespace,
			DeploymentName:      cfg.Gate.TraefikDeployment,
			MiddlewareCRD:       cfg.Ingress.Redirect == components.RedirectMiddleware,
		}), "the IngressClass %s (%s) and Traefik's Deployment %s (%s) exist",
			cfg.Ingress.ClassName, ref("ingress.className"), traefik, ref("gate.traefikDeployment")),
		assumes(gate.Certificates(cfg.Gate.Certificates && tls.Source != components.TLSFromDefaultCertificate, cluster, gate.CertificateTarget{
			Key:               stacks.TLSKey(tls),
			ClusterIssuer:     tls.NameIf(components.TLSFromClusterIssuer),
			CertResolver:      tls.NameIf(components.TLSFromCertResolver),
			TraefikNamespace:  cfg.Gate.TraefikNamespace,
			TraefikDeployment: cfg.Gate.TraefikDeployment,
			Secret:            tls.NameIf(components.TLSFromSecret),
			SecretNamespace:   cfg.Kubernetes.Namespace,
		}), "%s", certificateAssumption(cfg, traefik)),
		assumes(gate.Pgpool(bitnami, cluster, pgpool),
			"pgpool's Service %s/%s (%s) and Deployment %s/%s (%s) exist",
			pgpool.Namespace, pgpool.Service, ref("pgpool.service"), pgpool.Namespace, pgpool.Deployment, ref("pgpool.deployment")),
		assumes(gate.PgpoolUsers(bitnami, cluster, pgpool),
			"the users Secret %s/%s (%s) exists and is the one pgpool's Deployment reads its custom users from",
			pgpool.Namespace, pgpool.UsersSecret, ref("pgpool.usersSecret")),
		assumes(gate.Postgres(cfg.Gate.Postgres, gate.PostgresTarget{
			Endpoint: admin, User: cfg.Postgres.AdminUser, Password: cfg.Postgres.AdminPassword,
		}), "the admin %s (%s) logs in at %s (%s) and may create roles and databases",
			cfg.Postgres.AdminUser, ref("postgres.adminUser"), pg, ref("postgres.host")),
		assumes(gate.PostgresTLS(cfg.Gate.Postgres, gate.PostgresTLSTarget{
			Host: admin.Host, Port: admin.Port, RequiredBy: tlsRequired,
		}), "%s", tlsAssumption(pg, tlsRequired)),
		assumes(gate.Registry(cfg.Gate.Registry, gate.RegistryTarget{
			Host: cfg.Registry.Host, CA: cfg.Registry.CA,
			Username: cfg.Registry.Username, Password: cfg.Registry.Password,
			PullUsername: cfg.Registry.PullUsername, PullPassword: cfg.Registry.PullPassword,
			Lookup: lookup,
		}), "the registry %s (%s) accepts the push account %s and the pull account %s",
			cfg.Registry.Host, ref("registry.host"), cfg.Registry.Username, cfg.Registry.PullUsername),
		assumes(gate.RegistryOwner(cfg.Gate.Registry && gitea, gate.RegistryOwnerTarget{
			Host: cfg.Registry.Host, CA: cfg.Registry.CA, Owner: owner,
			Username: cfg.Registry.Username, Password: cfg.Registry.Password,
		}), "the registry owner %s (of %s) is a Gitea user or organization whose packages %s may read",
			owner, ref("registry.repository"), cfg.Registry.Username),
	}
}

// buildHostCheck is the gate's probe of the build host, for a run that builds an image.
func buildHostCheck(cfg *stacks.Config, dryRun bool) gate.Check {
	return assumes(gate.BuildHost(cfg.Gate.BuildHost, gate.BuildHostTarget{
		Host: cfg.Build.Host, Port: cfg.Build.Port, User: cfg.Build.User,
		HostKey: cfg.Build.PublicKey, Signer: cfg.Build.Signer,
		Tools: buildTools(dryRun),
	}), "the build host %s (%s) presents the pinned host key (%s) and accepts the client key for %s",
		net.JoinHostPort(cfg.Build.Host, strconv.Itoa(cfg.Build.Port)), stacks.Ref("build.host"), stacks.Ref("build.hostKey"), cfg.Build.User)
}

func assumes(c gate.Check, format string, args ...any) gate.Check {
	c.Assumes = fmt.Sprintf(format, args...)
	return c
}

func certificateAssumption(cfg *stacks.Config, traefik string) string {
	t := cfg.Ingress.TLS
	switch t.Source {
	case components.TLSFromClusterIssuer:
		return fmt.Sprintf("cert-manager's ClusterIssuer %s (%s) exists and is Ready", t.Name, stacks.TLSKey(t))
	case components.TLSFromCertResolver:
		return fmt.Sprintf("Traefik's Deployment %s defines the certificate resolver %s (%s)", traefik, t.Name, stacks.TLSKey(t))
	case components.TLSFromSecret:
		return fmt.Sprintf("the TLS Secret %s/%s (%s) exists", cfg.Kubernetes.Namespace, t.Name, stacks.TLSKey(t))
	}
	return "Traefik's default certificate serves the host"
}

func tlsAssumption(endpoint string, requiredBy []string) string {
	if len(requiredBy) == 0 {
		return "whether " + endpoint + " offers TLS (no setting needs it)"
	}
	return endpoint + " offers TLS (needed: " + strings.Join(requiredBy, ", ") + ")"
}

// tlsRequiredBy lists the sslmode settings that need TLS of the endpoint Pulumi connects to: the
// admin connection's, and the app's when the app connects to the same endpoint.
func tlsRequiredBy(p stacks.Postgres) []string {
	var out []string
	if p.Admin.SSLMode != "disable" {
		out = append(out, stacks.Ref("postgres.sslmode")+" is "+p.Admin.SSLMode)
	}
	sameEndpoint := p.App.Host == p.Admin.Host && p.App.Port == p.Admin.Port
	if sameEndpoint && p.App.SSLMode != "disable" && p.App.SSLMode != p.Admin.SSLMode {
		out = append(out, stacks.Ref("postgres.appSslmode")+" is "+p.App.SSLMode)
	}
	return out
}

// buildTools are the commands the image build needs on the build host. A preview checks the
// host's key and login only: listing the tools costs a login shell (0.2 s and more), and only
// the build, which runs on up, needs them.
func buildTools(dryRun bool) []string {
	if dryRun {
		return nil
	}
	return []string{"git", "nix", "skopeo", "gunzip", "timeout"}
}

// contractTimeout bounds the image contract check, which reads every layer of an image it has
// not seen pass before: hundreds of megabytes for the app, more than a probe's timeout.
const contractTimeout = 5 * time.Minute

// imageContractCheck reads the image ref from the registry with the push account.
func imageContractCheck(cfg *stacks.Config, ref string, contract imagecontract.Contract) gate.Check {
	acct := imagecontract.Account{CA: cfg.Registry.CA, Username: cfg.Registry.Username, Password: cfg.Registry.Password}
	return assumes(gate.ImageContract(cfg.Gate.ImageContract, ref, acct, contract),
		"the app image holds what the chart runs in it (%s, deploy/app-repo/IMAGE-CONTRACT.md)", stacks.Ref("gate.imageContract"))
}

// checkedImage is the built image, once its contract check passed: the release waits for it,
// so an image that lacks part of the contract stops the run before the release changes. Without
// check (a prebuilt image, which the gate checked, or the check switched off) it is the image.
func checkedImage(ctx *pulumi.Context, runGate gateRunner, built pulumi.StringOutput, check bool,
	cfg *stacks.Config, contract imagecontract.Contract) pulumi.StringOutput {
	if !check {
		return built
	}
	return built.ApplyT(func(ref string) (string, error) {
		r := runGate(ctx.Context(), contractTimeout, imageContractCheck(cfg, ref, contract))[0]
		if r.Err != nil {
			return "", fmt.Errorf("the built image failed its contract check, the release was not changed: %w", r.Err)
		}
		return ref, nil
	}).(pulumi.StringOutput)
}
