package components

import (
	"fmt"

	helmv3 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/helm/v3"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Resources are the app container's requests and limits; empty values are left out.
type Resources struct {
	CPURequest, MemoryRequest, CPULimit, MemoryLimit string
}

// ReleaseArgs configures the Helm release of the app chart.
type ReleaseArgs struct {
	Namespace pulumi.StringInput
	Name      string
	// Chart is the local chart directory as the kubernetes provider sees it (relative to the
	// project directory, so it is the same string in every checkout).
	Chart string
	// ChartDigest is a digest of the chart's files. Helm only notices a local chart's changes
	// when its version changes; passing the digest as a value makes every edit an upgrade.
	ChartDigest string

	Image          pulumi.StringInput // by digest
	ExistingSecret pulumi.StringInput // the Secret's name; no secret value goes into values
	SecretChecksum pulumi.StringInput
	// ImagePullSecrets name the dockerconfigjson Secrets the pods pull the image with; names
	// only, like ExistingSecret.
	ImagePullSecrets []pulumi.StringInput

	Replicas       int
	Resources      Resources
	StorageSize    string
	StorageClass   string
	StorageAccess  string // the claim's access mode
	MigrateCommand []string
	NodeSelector   map[string]string

	TimeoutSeconds int
	MaxHistory     int

	// DependsOn are what the release must wait for and be recorded as depending on: the app
	// Secret, the database and the image build. (A component's own DependsOn orders its
	// children but does not record the edge on them.)
	DependsOn []pulumi.Resource
}

// Release is the app's Helm release.
type Release struct {
	pulumi.ResourceState

	Name     pulumi.StringOutput
	Revision pulumi.IntOutput
	Status   pulumi.StringOutput
	// Helm is the release resource itself. Dependents name it, not the component: the SDK adds
	// a child to its component only when the child's registration starts, so a dependent whose
	// registration runs first finds the component empty and waits for nothing
	// (pulumi/pulumi#7833).
	Helm pulumi.Resource
}

// NewRelease installs or upgrades the chart. Atomic rolls a failed upgrade back (the previous
// revision keeps serving), CleanupOnFail removes what the failed one created, and the timeout
// bounds the migration hook and the rollout together.
func NewRelease(ctx *pulumi.Context, name string, args *ReleaseArgs, opts ...pulumi.ResourceOption) (*Release, error) {
	r := &Release{}
	if err := ctx.RegisterComponentResource("inter-hub:app:Release", name, r, opts...); err != nil {
		return nil, err
	}
	rel, err := helmv3.NewRelease(ctx, name, &helmv3.ReleaseArgs{
		Name:          pulumi.String(args.Name),
		Namespace:     args.Namespace,
		Chart:         pulumi.String(args.Chart),
		Values:        ReleaseValues(args),
		Atomic:        pulumi.Bool(true),
		CleanupOnFail: pulumi.Bool(true),
		Timeout:       pulumi.Int(args.TimeoutSeconds),
		MaxHistory:    pulumi.Int(args.MaxHistory),
		SkipAwait:     pulumi.Bool(false),
	}, pulumi.Parent(r), pulumi.DependsOn(args.DependsOn))
	if err != nil {
		return nil, fmt.Errorf("helm release %s: %w", args.Name, err)
	}
	r.Helm = rel
	r.Name = rel.Status.Name().Elem()
	r.Revision = rel.Status.Revision().Elem()
	r.Status = rel.Status.Status()
	if err := ctx.RegisterResourceOutputs(r, pulumi.Map{
		"name":     r.Name,
		"revision": r.Revision,
		"status":   r.Status,
	}); err != nil {
		return nil, err
	}
	return r, nil
}

// ReleaseValues are the chart values. Nothing secret goes in here: Helm values are stored in
// plain text in Pulumi's state and in the release's own records.
func ReleaseValues(args *ReleaseArgs) pulumi.Map {
	resources := pulumi.Map{}
	requests, limits := pulumi.Map{}, pulumi.Map{}
	putIf(requests, "cpu", args.Resources.CPURequest)
	putIf(requests, "memory", args.Resources.MemoryRequest)
	putIf(limits, "cpu", args.Resources.CPULimit)
	putIf(limits, "memory", args.Resources.MemoryLimit)
	if len(requests) > 0 {
		resources["requests"] = requests
	}
	if len(limits) > 0 {
		resources["limits"] = limits
	}
	// The hook Job must give up before Helm does, so the failure names the Job, not a timeout.
	deadline := max(args.TimeoutSeconds-30, 30)
	migrate := pulumi.Array{}
	for _, c := range args.MigrateCommand {
		migrate = append(migrate, pulumi.String(c))
	}
	pullSecrets := pulumi.Array{}
	for _, s := range args.ImagePullSecrets {
		pullSecrets = append(pullSecrets, s)
	}
	return pulumi.Map{
		"image":            args.Image,
		"existingSecret":   args.ExistingSecret,
		"secretChecksum":   args.SecretChecksum,
		"imagePullSecrets": pullSecrets,
		"chartDigest":      pulumi.String(args.ChartDigest),
		"replicaCount":     pulumi.Int(args.Replicas),
		"resources":        resources,
		"persistence": pulumi.Map{
			"size":         pulumi.String(args.StorageSize),
			"storageClass": pulumi.String(args.StorageClass),
			"accessMode":   pulumi.String(storageAccess(args.StorageAccess)),
		},
		"migrate": pulumi.Map{
			"command":               migrate,
			"activeDeadlineSeconds": pulumi.Int(deadline),
		},
		"nodeSelector": pulumi.ToStringMap(args.NodeSelector),
	}
}

func putIf(m pulumi.Map, k, v string) {
	if v != "" {
		m[k] = pulumi.String(v)
	}
}

// storageAccess is the claim's access mode; ReadWriteOnce, what every cluster offers, when unset.
func storageAccess(mode string) string {
	if mode == "" {
		return "ReadWriteOnce"
	}
	return mode
}
