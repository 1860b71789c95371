package components

import (
	"fmt"

	command "github.com/pulumi/pulumi-command/sdk/go/command"
	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	"github.com/pulumi/pulumi-postgresql/sdk/v3/go/postgresql"
	"github.com/pulumi/pulumi-random/sdk/v4/go/random"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// ProvidersArgs configures the explicit providers. Default providers are disabled for the
// project (Pulumi.yaml), so every resource uses one of these.
type ProvidersArgs struct {
	// Kubeconfig is the kubeconfig content; it holds the cluster admin key and is kept secret.
	Kubeconfig pulumi.StringInput
	Context    string
	// ClusterIdentifier decides when the kubernetes provider counts as pointing at another
	// cluster (and so replaces its resources): the apiserver URL, not the kubeconfig's bytes,
	// which change whenever a certificate is renewed.
	ClusterIdentifier string

	// Postgres is the endpoint the postgresql provider reaches as PostgresUser, an admin with
	// CREATEROLE and CREATEDB.
	Postgres         Endpoint
	PostgresUser     string
	PostgresPassword pulumi.StringInput
}

// Providers holds the explicit providers of every package the program uses.
type Providers struct {
	pulumi.ResourceState

	Kubernetes *kubernetes.Provider
	Postgres   *postgresql.Provider
	Random     *random.Provider
	Command    *command.Provider
}

// All returns the providers as a resource option for components, whose children pick the one
// of their package.
func (p *Providers) All() pulumi.ResourceOption {
	return pulumi.Providers(p.Kubernetes, p.Postgres, p.Random, p.Command)
}

// NewProviders registers the providers.
func NewProviders(ctx *pulumi.Context, name string, args *ProvidersArgs, opts ...pulumi.ResourceOption) (*Providers, error) {
	p := &Providers{}
	if err := ctx.RegisterComponentResource("inter-hub:platform:Providers", name, p, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(p)
	var err error
	p.Kubernetes, err = kubernetes.NewProvider(ctx, name+"-kubernetes", &kubernetes.ProviderArgs{
		Kubeconfig:            pulumi.ToSecret(args.Kubeconfig).(pulumi.StringInput),
		Context:               pulumi.String(args.Context),
		ClusterIdentifier:     pulumi.String(args.ClusterIdentifier),
		EnableServerSideApply: pulumi.Bool(true),
	}, parent)
	if err != nil {
		return nil, fmt.Errorf("kubernetes provider: %w", err)
	}
	p.Postgres, err = postgresql.NewProvider(ctx, name+"-postgresql", &postgresql.ProviderArgs{
		Host:     pulumi.String(args.Postgres.Host),
		Port:     pulumi.Int(args.Postgres.Port),
		Username: pulumi.String(args.PostgresUser),
		Password: pulumi.ToSecret(args.PostgresPassword).(pulumi.StringInput),
		Sslmode:  pulumi.String(args.Postgres.SSLMode),
		Database: pulumi.String("postgres"),
		// The admin is not a superuser on the platform; the provider must not assume it is.
		Superuser:      pulumi.Bool(false),
		ConnectTimeout: pulumi.Int(15),
	}, parent)
	if err != nil {
		return nil, fmt.Errorf("postgresql provider: %w", err)
	}
	p.Random, err = random.NewProvider(ctx, name+"-random", &random.ProviderArgs{}, parent)
	if err != nil {
		return nil, fmt.Errorf("random provider: %w", err)
	}
	p.Command, err = command.NewProvider(ctx, name+"-command", &command.ProviderArgs{}, parent)
	if err != nil {
		return nil, fmt.Errorf("command provider: %w", err)
	}
	if err := ctx.RegisterResourceOutputs(p, pulumi.Map{}); err != nil {
		return nil, err
	}
	return p, nil
}
