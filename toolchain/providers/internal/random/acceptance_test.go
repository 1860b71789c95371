package random

import (
	"context"
	"regexp"
	"testing"
	"unicode/utf8"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	rpc "github.com/pulumi/pulumi/sdk/v3/proto/go"

	"interhub/toolchain/providers/internal/wiretest"
)

// Upstream's acceptance cases for the options the program uses, through this
// plugin's Check and Create (terraform-provider-random
// internal/provider/resource_password_test.go: TestAccResourcePassword_Min,
// _Override, _OverrideSpecialUTF8).
func TestPasswordAcceptanceCases(t *testing.T) {
	srv := configured(t)
	urn := "urn:pulumi:test::proj::random:index/randomPassword:RandomPassword::pw"
	for _, tc := range []struct {
		name   string
		inputs resource.PropertyMap
		length int
		match  []string
		exact  string
	}{{
		name: "Min",
		inputs: resource.PropertyMap{"length": resource.NewProperty(12.0), "overrideSpecial": resource.NewProperty("!#@"),
			"minLower": resource.NewProperty(2.0), "minUpper": resource.NewProperty(3.0),
			"minSpecial": resource.NewProperty(1.0), "minNumeric": resource.NewProperty(4.0)},
		length: 12,
		match:  []string{`([a-z].*){2,}`, `([A-Z].*){3,}`, `([0-9].*){4,}`, `([!#@])`},
	}, {
		name: "Override",
		inputs: resource.PropertyMap{"length": resource.NewProperty(4.0), "overrideSpecial": resource.NewProperty("!"),
			"lower": resource.NewProperty(false), "upper": resource.NewProperty(false), "numeric": resource.NewProperty(false)},
		length: 4, exact: "!!!!",
	}, {
		name: "OverrideSpecialUTF8",
		inputs: resource.PropertyMap{"length": resource.NewProperty(10.0), "overrideSpecial": resource.NewProperty("°"),
			"lower": resource.NewProperty(false), "upper": resource.NewProperty(false), "numeric": resource.NewProperty(false)},
		length: 10, exact: "°°°°°°°°°°",
	}} {
		t.Run(tc.name, func(t *testing.T) {
			checked := wiretest.Check(t, srv, urn, wiretest.Marshal(t, tc.inputs))
			resp, err := srv.Create(context.Background(), &rpc.CreateRequest{Urn: urn, Properties: wiretest.Marshal(t, checked)})
			if err != nil {
				t.Fatal(err)
			}
			v := wiretest.At(wiretest.Decode(t, resp.GetProperties()), "result")
			if !v.IsSecret() {
				t.Fatalf("result %v is not secret", v)
			}
			result := v.SecretValue().Element.StringValue()
			if !utf8.ValidString(result) || utf8.RuneCountInString(result) != tc.length {
				t.Fatalf("result %q: want %d whole characters", result, tc.length)
			}
			for _, re := range tc.match {
				if !regexp.MustCompile(re).MatchString(result) {
					t.Errorf("result %q does not match %s", result, re)
				}
			}
			if tc.exact != "" && result != tc.exact {
				t.Errorf("result %q, want %q", result, tc.exact)
			}
		})
	}
}

// Refresh of the official RandomId state keeps it (reserved keys included).
func TestOfficialIDStateRefresh(t *testing.T) {
	rec := loadRecorded(t, "testdata/randomid-4.16.0-grpc.jsonl")
	srv := configured(t)
	read, err := srv.Read(context.Background(), &rpc.ReadRequest{Id: rec.createID, Urn: rec.urn, Properties: rec.createState, Inputs: rec.checked})
	if err != nil {
		t.Fatalf("refresh of official RandomId state: %v", err)
	}
	got, want := wiretest.Decode(t, read.GetProperties()), wiretest.Decode(t, rec.createState)
	for k, v := range want {
		if !got[resource.PropertyKey(k)].DeepEquals(v) {
			t.Errorf("%s = %v after refresh, was %v", k, got[k], v)
		}
	}
}
