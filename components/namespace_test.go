package components

import (
	"github.com/coulomb-social/inter-hub-deploy/test/support/mockstack"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// The namespace has exactly the given name, not an auto-name, so that the runbook can name it.
func TestNamespace(t *testing.T) {
	rec := &mockstack.Monitor{}
	if err := rec.Run(func(ctx *pulumi.Context) error {
		_, err := NewNamespace(ctx, "namespace", &NamespaceArgs{Name: "apps", Labels: map[string]string{"app.kubernetes.io/part-of": "hub"}})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	md := rec.One(t, "kubernetes:core/v1:Namespace", "namespace").Inputs["metadata"].ObjectValue()
	if md["name"].StringValue() != "apps" {
		t.Errorf("name = %v", md["name"])
	}
	if labels := md["labels"].ObjectValue(); len(labels) != 1 || labels["app.kubernetes.io/part-of"].StringValue() != "hub" {
		t.Errorf("labels = %v", labels)
	}
}
