package plugin

import (
	"context"
	"testing"

	p "github.com/pulumi/pulumi-go-provider"
	presource "github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/property"
)

const dbType = "postgresql:index/database:Database"

func urn(typ string) presource.URN {
	return presource.URN("urn:pulumi:dev::proj::" + typ + "::name")
}

func TestSecretOutputs(t *testing.T) {
	props := property.NewMap(map[string]property.Value{
		"result": property.New("plain"), "length": property.New(8.0),
	})
	prov := SecretOutputs(p.Provider{
		Read: func(context.Context, p.ReadRequest) (p.ReadResponse, error) {
			return p.ReadResponse{ID: "none", Properties: props}, nil
		},
		Create: func(context.Context, p.CreateRequest) (p.CreateResponse, error) {
			return p.CreateResponse{ID: "none", Properties: props}, nil
		},
		Update: func(context.Context, p.UpdateRequest) (p.UpdateResponse, error) {
			return p.UpdateResponse{Properties: props}, nil
		},
	}, map[string][]string{"random:index/randomPassword:RandomPassword": {"result"}})

	resp, err := prov.Read(context.Background(), p.ReadRequest{Urn: urn("random:index/randomPassword:RandomPassword")})
	if err != nil {
		t.Fatal(err)
	}
	if !resp.Properties.Get("result").Secret() || resp.Properties.Get("length").Secret() {
		t.Fatalf("Read: %v", resp.Properties)
	}
	other, _ := prov.Create(context.Background(), p.CreateRequest{Urn: urn("random:index/randomId:RandomId")})
	if other.Properties.Get("result").Secret() {
		t.Fatal("another resource type got secret outputs")
	}
}

func TestConfigUpdatesInPlace(t *testing.T) {
	prov := ConfigUpdatesInPlace(p.Provider{
		DiffConfig: func(context.Context, p.DiffRequest) (p.DiffResponse, error) {
			return p.DiffResponse{HasChanges: true, DeleteBeforeReplace: true, DetailedDiff: map[string]p.PropertyDiff{
				"password": {Kind: p.UpdateReplace}, "port": {Kind: p.AddReplace}, "host": {Kind: p.DeleteReplace},
			}}, nil
		},
	})
	resp, err := prov.DiffConfig(context.Background(), p.DiffRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if resp.DeleteBeforeReplace || !resp.HasChanges {
		t.Fatalf("resp = %+v", resp)
	}
	for k, d := range resp.DetailedDiff {
		switch d.Kind {
		case p.Update, p.Add, p.Delete:
		default:
			t.Errorf("%s is still %s", k, d.Kind)
		}
	}
}

func TestDeleteBeforeReplaceWhenNamed(t *testing.T) {
	prov := DeleteBeforeReplaceWhenNamed(p.Provider{
		Diff: func(context.Context, p.DiffRequest) (p.DiffResponse, error) {
			return p.DiffResponse{HasChanges: true, DetailedDiff: map[string]p.PropertyDiff{"encoding": {Kind: p.UpdateReplace}}}, nil
		},
	}, dbType)
	named := func(oldName, newName string) p.DiffRequest {
		return p.DiffRequest{
			Urn:       urn(dbType),
			OldInputs: property.NewMap(map[string]property.Value{"name": property.New(oldName)}),
			Inputs:    property.NewMap(map[string]property.Value{"name": property.New(newName)}),
		}
	}
	resp, _ := prov.Diff(context.Background(), named("app", "app"))
	if !resp.DeleteBeforeReplace {
		t.Error("same name: not delete-before-replace")
	}
	resp, _ = prov.Diff(context.Background(), named("app", "app2"))
	if resp.DeleteBeforeReplace {
		t.Error("new name: delete-before-replace")
	}
}
