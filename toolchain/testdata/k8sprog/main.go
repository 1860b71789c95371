// Command k8sprog is a throwaway Pulumi program for the toolchain test: a Namespace and a
// ConfigMap through an explicit kubernetes provider built from a kubeconfig file.
package main

import (
	"os"

	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/config"
)

func main() {
	pulumi.Run(func(ctx *pulumi.Context) error {
		cfg := config.New(ctx, "")
		kubeconfig, err := os.ReadFile(cfg.Require("kubeconfig"))
		if err != nil {
			return err
		}
		k8s, err := kubernetes.NewProvider(ctx, "k8s", &kubernetes.ProviderArgs{
			Kubeconfig: pulumi.ToSecret(pulumi.String(string(kubeconfig))).(pulumi.StringOutput),
		})
		if err != nil {
			return err
		}
		ns, err := corev1.NewNamespace(ctx, "ns", &corev1.NamespaceArgs{
			Metadata: &metav1.ObjectMetaArgs{Name: pulumi.String(cfg.Require("namespace"))},
		}, pulumi.Provider(k8s))
		if err != nil {
			return err
		}
		_, err = corev1.NewConfigMap(ctx, "cm", &corev1.ConfigMapArgs{
			Metadata: &metav1.ObjectMetaArgs{Namespace: ns.Metadata.Name(), Name: pulumi.String("toolchain")},
			Data:     pulumi.StringMap{"greeting": pulumi.String(cfg.Get("greeting"))},
		}, pulumi.Provider(k8s))
		if err != nil {
			return err
		}
		ctx.Export("namespace", ns.Metadata.Name())
		return nil
	})
}
