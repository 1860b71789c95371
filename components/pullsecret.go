package components

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// PullSecretArgs is the registry account the cluster pulls the app image with: a read-only
// account, not the one the build pushes with.
type PullSecretArgs struct {
	Namespace pulumi.StringInput
	Name      string
	// Registry is the host[:port] the image reference starts with; the kubelet looks the
	// image's registry up among the keys of "auths".
	Registry string
	Username string
	Password pulumi.StringInput // secret
}

// PullSecret is the kubernetes.io/dockerconfigjson Secret the app's pods and the migration Job
// name in imagePullSecrets.
type PullSecret struct {
	pulumi.ResourceState

	// Name is the Secret's name. It is all the Helm release gets, and passing it records the
	// release's dependency on the Secret itself.
	Name pulumi.StringOutput
}

// NewPullSecret creates the Secret; its data is a Pulumi secret.
func NewPullSecret(ctx *pulumi.Context, name string, args *PullSecretArgs, opts ...pulumi.ResourceOption) (*PullSecret, error) {
	switch {
	case args.Registry == "":
		return nil, fmt.Errorf("pull secret %s: no registry host", args.Name)
	case args.Username == "":
		return nil, fmt.Errorf("pull secret %s: no registry user", args.Name)
	case strings.Contains(args.Username, ":"):
		// The user and password are joined with a colon for HTTP basic auth.
		return nil, fmt.Errorf("pull secret %s: registry user %q contains a colon", args.Name, args.Username)
	case args.Password == nil:
		return nil, fmt.Errorf("pull secret %s: no registry password", args.Name)
	}
	s := &PullSecret{}
	if err := ctx.RegisterComponentResource("inter-hub:secrets:PullSecret", name, s, opts...); err != nil {
		return nil, err
	}

	config := args.Password.ToStringOutput().ApplyT(func(password string) (string, error) {
		return dockerConfigJSON(args.Registry, args.Username, password)
	}).(pulumi.StringOutput)
	secret, err := corev1.NewSecret(ctx, name, &corev1.SecretArgs{
		Metadata: &metav1.ObjectMetaArgs{
			Name:      pulumi.String(args.Name),
			Namespace: args.Namespace,
			Labels:    secretLabels(),
		},
		Type: pulumi.String("kubernetes.io/dockerconfigjson"),
		// Secret whether or not the password input was: the JSON holds it in plain text.
		StringData: pulumi.StringMap{".dockerconfigjson": pulumi.ToSecret(config).(pulumi.StringOutput)},
	}, pulumi.Parent(s))
	if err != nil {
		return nil, fmt.Errorf("pull secret %s: %w", args.Name, err)
	}

	s.Name = secret.Metadata.Name().Elem()
	if err := ctx.RegisterResourceOutputs(s, pulumi.Map{"name": s.Name}); err != nil {
		return nil, err
	}
	return s, nil
}

// dockerAuth is one registry's entry of a docker config.
type dockerAuth struct {
	Username string `json:"username"`
	Password string `json:"password"`
	Auth     string `json:"auth"` // base64 of user:password, what the kubelet and docker read first
}

// dockerConfigJSON is the .dockerconfigjson value for one registry.
func dockerConfigJSON(registry, username, password string) (string, error) {
	if password == "" {
		return "", errors.New("pull secret: the registry password is empty")
	}
	b, err := json.Marshal(struct {
		Auths map[string]dockerAuth `json:"auths"`
	}{map[string]dockerAuth{registry: {
		Username: username,
		Password: password,
		Auth:     base64.StdEncoding.EncodeToString([]byte(username + ":" + password)),
	}}})
	if err != nil {
		return "", fmt.Errorf("pull secret: encoding the docker config for %s: %w", registry, err)
	}
	return string(b), nil
}
