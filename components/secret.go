package components

import "github.com/pulumi/pulumi/sdk/v3/go/pulumi"

// Secret is a plain value as a secret output, so that Pulumi encrypts it in the state and masks
// it in logs: every credential a component takes is passed as one.
func Secret(v string) pulumi.StringOutput {
	return pulumi.ToSecret(pulumi.String(v)).(pulumi.StringOutput)
}
