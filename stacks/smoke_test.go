package stacks

import (
	"slices"
	"strings"
	"testing"

	"github.com/coulomb-social/inter-hub-deploy/internal/sopsfile"
)

func TestSmokeDashboards(t *testing.T) {
	src := func(v string) MapSource {
		return MapSource{Values: map[string]string{"inter-hub:smoke.dashboards": v}}
	}
	got, err := SmokeDashboards(MapSource{})
	if err != nil || got != nil {
		t.Fatalf("unset: %q, %v; want nil and no error", got, err)
	}
	for value, want := range map[string][]string{
		`["/admin/dashboards/hubs","/admin/dashboards/regions?tab=all"]`: {"/admin/dashboards/hubs", "/admin/dashboards/regions?tab=all"},
		`/admin/a /admin/b`: {"/admin/a", "/admin/b"},
	} {
		got, err := SmokeDashboards(src(value))
		if err != nil || !slices.Equal(got, want) {
			t.Errorf("%s: %q, %v; want %q", value, got, err, want)
		}
	}
	for value, want := range map[string]string{
		`["/a", "//evil.example/x"]`: `"//evil.example/x" does not start with a single /`,
		`["/a b"]`:                   `"/a b" is not a URL path`,
		`["/a#top"]`:                 `"/a#top" is not a URL path`,
		`["/a", 3]`:                  "must be a non-empty list of strings",
		`["/a", "/b", "/a"]`:         `"/a" is listed more than once`,
		`  `:                         "missing",
	} {
		_, err := SmokeDashboards(src(value))
		if err == nil || !strings.Contains(err.Error(), "inter-hub:smoke.dashboards: ") || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v; want a problem of inter-hub:smoke.dashboards saying %q", value, err, want)
		}
	}
}

// The local stack lists the stand-in sample's 12 dashboards; railiance01 leaves the key to its
// operators, who know the real app's paths.
func TestStackFilesDashboards(t *testing.T) {
	local, err := SmokeDashboards(stackSource(t, "local", "inter-hub-local"))
	if err != nil || len(local) != 12 {
		t.Errorf("local: %d dashboards %q, %v; want the sample app's 12", len(local), local, err)
	}
	for _, p := range local {
		if !strings.HasPrefix(p, "/admin/dashboards/") {
			t.Errorf("local: %q is not a dashboard of the sample app", p)
		}
	}
	if got, err := SmokeDashboards(stackSource(t, "railiance01", "")); err != nil || got != nil {
		t.Errorf("railiance01: %q, %v; the real app's paths are for its operators to set", got, err)
	}
}

// The local SOPS file holds what `make admin` and `make smoke` read for the stand-in: the API key
// and the admin account (create-admin wants a password of at least 12 characters).
func TestLocalSOPSFileHasTheSmokeCredentials(t *testing.T) {
	t.Setenv("SOPS_AGE_KEY_FILE", "")
	t.Setenv("SOPS_AGE_KEY", "")
	values, err := sopsfile.Decrypt("../deploy/secrets/local.env.sops.yaml", "../sandbox/fixtures/age-local.key")
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"INTERHUB_API_KEY", "IHP_ENV", "INTERHUB_ADMIN_EMAIL", "INTERHUB_ADMIN_PASSWORD"} {
		if values[k] == "" {
			t.Errorf("%s is missing or empty", k)
		}
	}
	if e := values["INTERHUB_ADMIN_EMAIL"]; strings.Count(e, "@") != 1 || e != strings.ToLower(strings.TrimSpace(e)) {
		t.Errorf("INTERHUB_ADMIN_EMAIL is not a lower-case address")
	}
	if n := len(values["INTERHUB_ADMIN_PASSWORD"]); n < 12 {
		t.Errorf("INTERHUB_ADMIN_PASSWORD has %d characters; create-admin wants at least 12", n)
	}
}
