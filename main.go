// Command inter-hub is the Pulumi program that deploys the inter-hub web app: readiness gate,
// namespace, database, secrets, image build, Helm release and Ingress, in that order.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"regexp"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/coulomb-social/inter-hub-deploy/components"
	"github.com/coulomb-social/inter-hub-deploy/internal/chartdigest"
	"github.com/coulomb-social/inter-hub-deploy/internal/gate"
	"github.com/coulomb-social/inter-hub-deploy/internal/imagecontract"
	"github.com/coulomb-social/inter-hub-deploy/stacks"
)

func main() {
	body := reported(program(gate.Run))
	if err := pulumi.RunErr(body); err != nil {
		if errors.Is(err, pulumi.ErrPlugins) {
			pulumi.Run(body) // prints the required plugins
		}
		if !errors.Is(err, errReported) {
			fmt.Fprintln(os.Stderr, err)
		}
		// Tells the language host that the error has been reported.
		os.Exit(32)
	}
}

var errReported = errors.New("the program's error has been reported")

// reported logs the program's own error as one diagnostic, as written, rather than wrapped in
// pulumi.Run's "an unhandled error occurred" list: configuration and gate errors are meant to
// be read by the operator.
func reported(run pulumi.RunFunc) pulumi.RunFunc {
	return func(ctx *pulumi.Context) error {
		if err := run(ctx); err != nil {
			_ = ctx.Log.Error(err.Error(), nil)
			return errReported
		}
		return nil
	}
}

// gateRunner runs the readiness checks (gate.Run; tests pass a recorder).
type gateRunner func(ctx context.Context, timeout time.Duration, cs ...gate.Check) gate.Results

func program(runGate gateRunner) pulumi.RunFunc {
	return func(ctx *pulumi.Context) error {
		outputs, err := deploy(ctx, runGate)
		if err != nil {
			return err
		}
		for name, value := range outputs {
			ctx.Export(name, value)
		}
		return nil
	}
}

// fullCommit is a revision given as a whole commit id; only such a revision names its image's
// tag (git-<commit>) without asking git on the build host.
var fullCommit = regexp.MustCompile(`^[0-9a-f]{40}$`)

// imageLookup is the registry lookup for the revision's image, or nil when the revision is a
// branch or tag name that only the build host can resolve.
func imageLookup(repository, revision string) *gate.ImageLookup {
	if !fullCommit.MatchString(revision) {
		return nil
	}
	return &gate.ImageLookup{Repository: repository, Tag: "git-" + revision}
}

// deploy registers the whole graph and returns the stack outputs (none of them secret).
func deploy(ctx *pulumi.Context, runGate gateRunner) (pulumi.Map, error) {
	// Every configuration problem at once, before anything is registered.
	cfg, err := stacks.Load(ctx)
	if err != nil {
		return nil, err
	}

	contract, err := imagecontract.FromChart(cfg.Release.ChartDir, cfg.App.MigrateCommand)
	if err != nil {
		return nil, err
	}

	// The readiness gate probes the real systems, in preview too; a failure stops here. The
	// registry check also looks for the revision's image: when it is there no build runs, and
	// the build host is checked only when one will.
	lookup := imageLookup(cfg.Registry.Repository, cfg.App.Revision)
	results := runGate(ctx.Context(), cfg.Gate.Timeout, readinessChecks(cfg, lookup)...)
	prebuilt := ""
	if lookup != nil && lookup.Digest != "" {
		prebuilt = cfg.Registry.Host + "/" + cfg.Registry.Repository + "@" + lookup.Digest
	}
	buildHost := buildHostCheck(cfg, ctx.DryRun())
	if prebuilt == "" {
		results = append(results, runGate(ctx.Context(), cfg.Gate.Timeout, buildHost)...)
	} else {
		results = append(results, gate.NotNeeded(buildHost, "the registry has the revision's image "+prebuilt))
	}
	// The image's contract is checked here when the image is there already, else after the build
	// (checkedImage). A disabled check is recorded as such, not run.
	imageCheck := imageContractCheck(cfg, prebuilt, contract)
	checkAfterBuild := prebuilt == "" && cfg.Gate.ImageContract
	if checkAfterBuild {
		results = append(results, gate.NotNeeded(imageCheck, "checked after the build, before the release"))
	} else {
		results = append(results, runGate(ctx.Context(), contractTimeout, imageCheck)...)
	}
	if err := results.Err(); err != nil {
		return nil, err
	}
	chartDigest, err := chartdigest.Dir(cfg.Release.ChartDir)
	if err != nil {
		return nil, err
	}

	providers, err := components.NewProviders(ctx, "providers", &components.ProvidersArgs{
		Kubeconfig:        components.Secret(cfg.Kubernetes.Kubeconfig),
		Context:           cfg.Kubernetes.Context,
		ClusterIdentifier: cfg.Kubernetes.Target.Server,
		Postgres:          cfg.Postgres.Admin,
		PostgresUser:      cfg.Postgres.AdminUser,
		PostgresPassword:  components.Secret(cfg.Postgres.AdminPassword),
	})
	if err != nil {
		return nil, err
	}
	use := providers.All()

	if _, err := components.NewGate(ctx, "gate", &components.GateArgs{Checks: results.Statuses()}); err != nil {
		return nil, err
	}

	ns, err := components.NewNamespace(ctx, "namespace", &components.NamespaceArgs{
		Name:   cfg.Kubernetes.Namespace,
		Labels: map[string]string{"app.kubernetes.io/part-of": "inter-hub", "app.kubernetes.io/managed-by": "pulumi"},
	}, use)
	if err != nil {
		return nil, err
	}

	db, err := components.NewDatabase(ctx, "database", &components.DatabaseArgs{
		RoleName:         cfg.Database.Role,
		DatabaseName:     cfg.Database.Name,
		PasswordRotation: cfg.Database.PasswordRotation,
		Pgpool: components.PgpoolArgs{
			Mode:        cfg.Pgpool.Mode,
			UsersSecret: cfg.Pgpool.UsersSecret, Namespace: cfg.Pgpool.Namespace, Deployment: cfg.Pgpool.Deployment,
			Conf: cfg.Pgpool.Conf, KeyFile: cfg.Pgpool.KeyFile,
		},
		App: cfg.Postgres.App,
	}, use)
	if err != nil {
		return nil, err
	}

	session, err := components.NewSessionSecret(ctx, "session-secret", &components.SessionSecretArgs{
		Rotation: cfg.Session.Rotation,
	}, use)
	if err != nil {
		return nil, err
	}

	secret, err := components.NewAppSecret(ctx, "app-secret", &components.AppSecretArgs{
		Namespace:     ns.Name,
		Name:          cfg.Release.Name + "-env",
		Values:        cfg.Secrets.Values,
		Source:        cfg.Secrets.SopsFile,
		DatabaseURL:   db.URL,
		SessionSecret: session.Value,
		BaseURL:       cfg.App.BaseURL,
	}, use)
	if err != nil {
		return nil, err
	}

	// The cluster pulls the image with the registry's read-only account; the release gets only
	// the Secret's name.
	pull, err := components.NewPullSecret(ctx, "pull-secret", &components.PullSecretArgs{
		Namespace: ns.Name,
		Name:      cfg.Release.Name + "-registry",
		Registry:  cfg.Registry.Host,
		Username:  cfg.Registry.PullUsername,
		Password:  components.Secret(cfg.Registry.PullPassword),
	}, use)
	if err != nil {
		return nil, err
	}

	build, err := components.NewImageBuild(ctx, "image", &components.ImageBuildArgs{
		Host: cfg.Build.Host, Port: cfg.Build.Port, User: cfg.Build.User,
		HostKey:          cfg.Build.HostKey,
		PrivateKey:       components.Secret(cfg.Build.PrivateKey),
		CheckoutDir:      cfg.Build.CheckoutDir,
		Revision:         cfg.App.Revision,
		FlakeAttr:        cfg.Build.FlakeAttr,
		Registry:         cfg.Registry.Host,
		Repository:       cfg.Registry.Repository,
		RegistryUser:     cfg.Registry.Username,
		RegistryPassword: components.Secret(cfg.Registry.Password),
		TimeoutSeconds:   cfg.Build.Timeout,
		Prebuilt:         prebuilt,
	}, use)
	if err != nil {
		return nil, err
	}

	release, err := components.NewRelease(ctx, "release", &components.ReleaseArgs{
		Namespace:      ns.Name,
		Name:           cfg.Release.Name,
		Chart:          cfg.Release.Chart,
		ChartDigest:    chartDigest,
		Image:          checkedImage(ctx, runGate, build.Image, checkAfterBuild, cfg, contract),
		ExistingSecret: secret.Name,
		SecretChecksum: secret.Checksum,
		// Through the name the release depends on the pull Secret itself.
		ImagePullSecrets: []pulumi.StringInput{pull.Name},
		Replicas:         cfg.App.Replicas,
		Resources: components.Resources{
			CPURequest: cfg.App.CPURequest, MemoryRequest: cfg.App.MemoryRequest,
			CPULimit: cfg.App.CPULimit, MemoryLimit: cfg.App.MemoryLimit,
		},
		StorageSize:    cfg.App.StorageSize,
		StorageClass:   cfg.App.StorageClass,
		StorageAccess:  cfg.App.StorageAccess,
		MigrateCommand: cfg.App.MigrateCommand,
		NodeSelector:   cfg.App.NodeSelector,
		TimeoutSeconds: cfg.Release.Timeout,
		MaxHistory:     cfg.Release.MaxHistory,
		DependsOn:      []pulumi.Resource{secret, db, build},
	}, use)
	if err != nil {
		return nil, err
	}

	if _, err := components.NewIngress(ctx, "ingress", &components.IngressArgs{
		Namespace:   ns.Name,
		Name:        cfg.Release.Name,
		Host:        cfg.Ingress.Host,
		ClassName:   cfg.Ingress.ClassName,
		ServiceName: cfg.Release.Name, // the chart names its Service after the release
		ServicePort: "http",
		TLS:         cfg.Ingress.TLS,
		Redirect:    cfg.Ingress.Redirect,
		DependsOn:   []pulumi.Resource{release.Helm},
	}, use); err != nil {
		return nil, err
	}

	return pulumi.Map{
		"url":             pulumi.String(cfg.App.BaseURL),
		"image":           build.Image,
		"releaseRevision": release.Revision,
		"namespace":       ns.Name,
		"databaseName":    db.DatabaseName,
	}, nil
}
