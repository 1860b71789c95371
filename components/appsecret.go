package components

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sort"

	"github.com/coulomb-social/inter-hub-deploy/internal/appenv"
	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// AppSecretArgs is everything that ends up in the app's environment Secret.
type AppSecretArgs struct {
	Namespace pulumi.StringInput
	Name      string
	// Values are the decrypted SOPS file's variables. They must not set a variable the program
	// sets (appenv.Reserved).
	Values map[string]string
	// Source names where Values came from, for error messages.
	Source        string
	DatabaseURL   pulumi.StringInput
	SessionSecret pulumi.StringInput
	BaseURL       string
}

// AppSecret is the core/v1 Secret the app reads its whole environment from.
type AppSecret struct {
	pulumi.ResourceState

	Name pulumi.StringOutput
	// Checksum is a digest of the Secret's data, for a pod annotation that rolls the pods when
	// the data changes. It is not secret: a SHA-256 over values that include 256-bit keys
	// reveals none of them.
	Checksum pulumi.StringOutput
}

// NewAppSecret creates the Secret; every value is a Pulumi secret.
func NewAppSecret(ctx *pulumi.Context, name string, args *AppSecretArgs, opts ...pulumi.ResourceOption) (*AppSecret, error) {
	if clash := appenv.Clashes(args.Values); len(clash) > 0 {
		return nil, fmt.Errorf("app secret: %s sets %s, which the program sets itself", args.Source, clash[0])
	}
	s := &AppSecret{}
	if err := ctx.RegisterComponentResource("inter-hub:secrets:AppSecret", name, s, opts...); err != nil {
		return nil, err
	}

	data := pulumi.StringMap{}
	for k, v := range args.Values {
		data[k] = Secret(v)
	}
	data[appenv.DatabaseURL] = pulumi.ToSecret(args.DatabaseURL).(pulumi.StringOutput)
	data[appenv.SessionSecret] = pulumi.ToSecret(args.SessionSecret).(pulumi.StringOutput)
	data[appenv.BaseURL] = Secret(args.BaseURL)

	secret, err := corev1.NewSecret(ctx, name, &corev1.SecretArgs{
		Metadata: &metav1.ObjectMetaArgs{
			Name:      pulumi.String(args.Name),
			Namespace: args.Namespace,
			Labels:    secretLabels(),
		},
		Type:       pulumi.String("Opaque"),
		StringData: data,
	}, pulumi.Parent(s))
	if err != nil {
		return nil, fmt.Errorf("app secret %s: %w", args.Name, err)
	}

	s.Name = secret.Metadata.Name().Elem()
	s.Checksum = pulumi.Unsecret(data.ToStringMapOutput().ApplyT(checksum)).(pulumi.StringOutput)
	if err := ctx.RegisterResourceOutputs(s, pulumi.Map{"name": s.Name, "checksum": s.Checksum}); err != nil {
		return nil, err
	}
	return s, nil
}

// checksum digests the data in key order, with separators that keys cannot contain.
func checksum(data map[string]string) string {
	keys := make([]string, 0, len(data))
	for k := range data {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	h := sha256.New()
	for _, k := range keys {
		fmt.Fprintf(h, "%s=%d:%s\x00", k, len(data[k]), data[k])
	}
	return hex.EncodeToString(h.Sum(nil))
}

// secretLabels are the labels of the Secrets the program writes into the app's namespace.
func secretLabels() pulumi.StringMap {
	return pulumi.StringMap{
		"app.kubernetes.io/name":       pulumi.String("inter-hub"),
		"app.kubernetes.io/managed-by": pulumi.String("pulumi"),
	}
}
