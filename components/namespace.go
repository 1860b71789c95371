package components

import (
	"fmt"

	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// NamespaceArgs names the app's namespace.
type NamespaceArgs struct {
	Name   string
	Labels map[string]string
}

// Namespace is the app's namespace.
type Namespace struct {
	pulumi.ResourceState

	Name pulumi.StringOutput
}

// NewNamespace creates the namespace with the given name (no auto-naming, so the runbook's
// kubectl commands can name it).
func NewNamespace(ctx *pulumi.Context, name string, args *NamespaceArgs, opts ...pulumi.ResourceOption) (*Namespace, error) {
	n := &Namespace{}
	if err := ctx.RegisterComponentResource("inter-hub:cluster:Namespace", name, n, opts...); err != nil {
		return nil, err
	}
	ns, err := corev1.NewNamespace(ctx, name, &corev1.NamespaceArgs{
		Metadata: &metav1.ObjectMetaArgs{
			Name:   pulumi.String(args.Name),
			Labels: pulumi.ToStringMap(args.Labels),
		},
	}, pulumi.Parent(n))
	if err != nil {
		return nil, fmt.Errorf("namespace %s: %w", args.Name, err)
	}
	n.Name = ns.Metadata.Name().Elem()
	if err := ctx.RegisterResourceOutputs(n, pulumi.Map{"name": n.Name}); err != nil {
		return nil, err
	}
	return n, nil
}
