package main

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"filippo.io/age"

	"github.com/coulomb-social/inter-hub-deploy/stacks"
	"github.com/coulomb-social/inter-hub-deploy/test/support/fixture"
)

// Each bad configuration fails with exactly these problems, and registers nothing.
func TestBadConfigurations(t *testing.T) {
	f := fixture.New(t, "https://127.0.0.1:16443")
	other := t.TempDir()
	wrongAge := filepath.Join(other, "wrong-age.key")
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(wrongAge, []byte(id.String()+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(other, "Chart.txt"), []byte("not a chart"), 0o600); err != nil {
		t.Fatal(err)
	}

	cases := []struct {
		name   string
		change func(c map[string]string, secrets *[]string)
		want   []string
	}{
		{"missing revision", func(c map[string]string, _ *[]string) { delete(c, "inter-hub:app.revision") },
			[]string{"inter-hub:app.revision: missing (set it with: pulumi config set app.revision VALUE)"}},
		{"missing secret", func(c map[string]string, s *[]string) { delete(c, "inter-hub:registry.password") },
			[]string{"inter-hub:registry.password: missing (set it with: pulumi config set --secret registry.password VALUE)"}},
		{"secret in plain text", func(c map[string]string, s *[]string) { *s = without(*s, "inter-hub:postgres.adminPassword") },
			[]string{"inter-hub:postgres.adminPassword: must be a secret: it is stored in plain text (set it with: pulumi config set --secret postgres.adminPassword VALUE)"}},
		{"missing pull password", func(c map[string]string, s *[]string) {
			delete(c, "inter-hub:registry.pullPassword")
			*s = without(*s, "inter-hub:registry.pullPassword")
		},
			[]string{"inter-hub:registry.pullPassword: missing (set it with: pulumi config set --secret registry.pullPassword VALUE)"}},
		{"pull password in plain text", func(c map[string]string, s *[]string) { *s = without(*s, "inter-hub:registry.pullPassword") },
			[]string{"inter-hub:registry.pullPassword: must be a secret: it is stored in plain text (set it with: pulumi config set --secret registry.pullPassword VALUE)"}},
		{"pull password on two lines", func(c map[string]string, _ *[]string) { c["inter-hub:registry.pullPassword"] = "one\ntwo" },
			[]string{"inter-hub:registry.pullPassword: must be a single line"}},
		{"missing pull user", func(c map[string]string, _ *[]string) { delete(c, "inter-hub:registry.pullUsername") },
			[]string{"inter-hub:registry.pullUsername: missing (set it with: pulumi config set registry.pullUsername VALUE)"}},
		{"empty pull user", func(c map[string]string, _ *[]string) { c["inter-hub:registry.pullUsername"] = "  " },
			[]string{"inter-hub:registry.pullUsername: missing (set it with: pulumi config set registry.pullUsername VALUE)"}},
		{"pull user with a colon", func(c map[string]string, _ *[]string) { c["inter-hub:registry.pullUsername"] = "interhub:pull" },
			[]string{`inter-hub:registry.pullUsername: must not contain a colon, spaces or control characters: "interhub:pull"`}},
		{"pull user is the push user", func(c map[string]string, _ *[]string) { c["inter-hub:registry.pullUsername"] = "interhub-push" },
			[]string{"inter-hub:registry.pullUsername: must differ from inter-hub:registry.username (interhub-push): pods pull with a read-only account, not the build's push account"}},
		{"gitea repository without owner", func(c map[string]string, _ *[]string) { c["inter-hub:registry.kind"] = "gitea" },
			[]string{`inter-hub:registry.repository: a gitea registry (inter-hub:registry.kind) needs owner/name, like coulomb/inter-hub: "inter-hub" names no owner`}},
		{"repository with the registry host", func(c map[string]string, _ *[]string) {
			c["inter-hub:registry.repository"] = "127.0.0.1:5443/coulomb/inter-hub"
		},
			[]string{`inter-hub:registry.repository: holds the registry host; set only the path here ("coulomb/inter-hub"), the host is inter-hub:registry.host`}},
		{"registry kind", func(c map[string]string, _ *[]string) { c["inter-hub:registry.kind"] = "harbor" },
			[]string{`inter-hub:registry.kind: must be one of distribution, gitea, not "harbor"`}},
		{"memory request above its limit", func(c map[string]string, _ *[]string) { c["inter-hub:app.memoryRequest"] = "1Gi" },
			[]string{"inter-hub:app.memoryRequest: 1Gi is above inter-hub:app.memoryLimit (512Mi); a request may not exceed its limit"}},
		{"misspelt key", func(c map[string]string, _ *[]string) { c["inter-hub:build.hostkey"] = "x" },
			[]string{"inter-hub:build.hostkey: unknown key (did you mean inter-hub:build.hostKey?)"}},
		{"unknown key", func(c map[string]string, _ *[]string) { c["inter-hub:colour"] = "blue" },
			[]string{"inter-hub:colour: unknown key (docs/CONFIG.md lists the keys)"}},
		{"port not a number", func(c map[string]string, _ *[]string) { c["inter-hub:postgres.port"] = "fifteen" },
			[]string{`inter-hub:postgres.port: not an integer: "fifteen"`}},
		{"port out of range", func(c map[string]string, _ *[]string) { c["inter-hub:build.port"] = "70000" },
			[]string{"inter-hub:build.port: must be between 1 and 65535, not 70000"}},
		{"replicas zero", func(c map[string]string, _ *[]string) { c["inter-hub:app.replicas"] = "0" },
			[]string{"inter-hub:app.replicas: must be between 1 and 20, not 0"}},
		{"access mode", func(c map[string]string, _ *[]string) { c["inter-hub:app.storageAccessMode"] = "RWX" },
			[]string{`inter-hub:app.storageAccessMode: must be one of ReadWriteOnce, ReadWriteMany, not "RWX"`}},
		{"boolean", func(c map[string]string, _ *[]string) { c["inter-hub:gate.nodes"] = "yes" },
			[]string{`inter-hub:gate.nodes: not a boolean (true or false): "yes"`}},
		{"invalid host", func(c map[string]string, _ *[]string) { c["inter-hub:build.host"] = "haskel seed!" },
			[]string{`inter-hub:build.host: not a valid host name or IP address: "haskel seed!"`}},
		{"not an ssh host key", func(c map[string]string, _ *[]string) { c["inter-hub:build.hostKey"] = "AAAAC3NzaC1lZDI1NTE5" },
			[]string{"inter-hub:build.hostKey: not an SSH public key (expected one line like ssh-ed25519 AAAA...)"}},
		{"not a private key", func(c map[string]string, _ *[]string) { c["inter-hub:build.privateKey"] = "-----BEGIN NOTHING-----" },
			[]string{"inter-hub:build.privateKey: not an SSH private key"}},
		{"pgpool mode", func(c map[string]string, _ *[]string) { c["inter-hub:pgpool.mode"] = "pgbouncer" },
			[]string{`inter-hub:pgpool.mode: must be one of bitnami, pgenc, none, not "pgbouncer"`}},
		{"bitnami without namespace", func(c map[string]string, _ *[]string) {
			c["inter-hub:pgpool.mode"] = "bitnami"
			c["inter-hub:pgpool.service"] = "pgpool"
			c["inter-hub:pgpool.deployment"] = "pgpool"
		}, []string{"inter-hub:pgpool.namespace: missing (set it with: pulumi config set pgpool.namespace VALUE)"}},
		{"bitnami without the Service", func(c map[string]string, _ *[]string) {
			c["inter-hub:pgpool.mode"] = "bitnami"
			c["inter-hub:pgpool.namespace"] = "railiance-platform"
			c["inter-hub:pgpool.deployment"] = "pgpool"
		}, []string{"inter-hub:pgpool.service: missing (set it with: pulumi config set pgpool.service VALUE)"}},
		{"app host names another Service", func(c map[string]string, _ *[]string) {
			c["inter-hub:pgpool.mode"] = "bitnami"
			c["inter-hub:pgpool.namespace"] = "railiance-platform"
			c["inter-hub:pgpool.service"] = "postgresql-ha-pgpool"
			c["inter-hub:pgpool.deployment"] = "postgresql-ha-pgpool"
			c["inter-hub:postgres.appHost"] = "pgpool.railiance-platform.svc"
		}, []string{"inter-hub:postgres.appHost: names the Service railiance-platform/pgpool, but pgpool's is railiance-platform/postgresql-ha-pgpool (inter-hub:pgpool.namespace, inter-hub:pgpool.service)"}},
		{"pgenc file missing", func(c map[string]string, _ *[]string) { c["inter-hub:pgpool.conf"] = "/nonexistent/pgpool.conf" },
			[]string{"inter-hub:pgpool.conf: cannot read /nonexistent/pgpool.conf: no such file or directory"}},
		{"sslmode", func(c map[string]string, _ *[]string) { c["inter-hub:postgres.sslmode"] = "maybe" },
			[]string{`inter-hub:postgres.sslmode: must be one of disable, require, verify-ca, verify-full, not "maybe"`}},
		{"kubeconfig missing", func(c map[string]string, _ *[]string) { c["inter-hub:kubernetes.kubeconfig"] = "no/such/kubeconfig" },
			[]string{"inter-hub:kubernetes.kubeconfig: cannot read no/such/kubeconfig: no such file or directory"}},
		{"kubeconfig context", func(c map[string]string, _ *[]string) { c["inter-hub:kubernetes.context"] = "railiance01" },
			[]string{`inter-hub:kubernetes.kubeconfig: ` + f.Config["inter-hub:kubernetes.kubeconfig"] + `: context "railiance01" not found`}},
		{"kubeconfig of another cluster", func(c map[string]string, _ *[]string) { c["inter-hub:kubernetes.server"] = "https://10.0.0.1:6443" },
			[]string{"inter-hub:kubernetes.kubeconfig: " + f.Config["inter-hub:kubernetes.kubeconfig"] + ": context fixture points at https://127.0.0.1:16443, but inter-hub:kubernetes.server expects https://10.0.0.1:6443"}},
		{"namespace name", func(c map[string]string, _ *[]string) { c["inter-hub:kubernetes.namespace"] = "Inter_Hub" },
			[]string{`inter-hub:kubernetes.namespace: must be a lowercase DNS label of at most 63 characters (a-z, 0-9, -), not "Inter_Hub"`}},
		{"database identifier", func(c map[string]string, _ *[]string) { c["inter-hub:database.name"] = "inter-hub" },
			[]string{`inter-hub:database.name: must be a lowercase PostgreSQL identifier (a-z, 0-9, _; at most 63), not "inter-hub"`}},
		{"role is the admin", func(c map[string]string, _ *[]string) { c["inter-hub:database.role"] = "railiance_admin" },
			[]string{"inter-hub:database.role: must differ from inter-hub:postgres.adminUser (railiance_admin)"}},
		{"revision", func(c map[string]string, _ *[]string) { c["inter-hub:app.revision"] = "v1; rm -rf ~" },
			[]string{`inter-hub:app.revision: not a git revision: "v1; rm -rf ~"`}},
		{"quantity", func(c map[string]string, _ *[]string) { c["inter-hub:app.memoryLimit"] = "lots" },
			[]string{`inter-hub:app.memoryLimit: not a Kubernetes quantity (like 250m, 512Mi or 1Gi): "lots"`}},
		{"tls both", func(c map[string]string, _ *[]string) { c["inter-hub:ingress.clusterIssuer"] = "letsencrypt" },
			[]string{"inter-hub:ingress.tlsSecret: set exactly one of inter-hub:ingress.tlsSecret, inter-hub:ingress.clusterIssuer, inter-hub:ingress.certResolver and inter-hub:ingress.defaultCertificate, not more"}},
		{"tls secret and default certificate", func(c map[string]string, _ *[]string) { c["inter-hub:ingress.defaultCertificate"] = "true" },
			[]string{"inter-hub:ingress.tlsSecret: set exactly one of inter-hub:ingress.tlsSecret, inter-hub:ingress.clusterIssuer, inter-hub:ingress.certResolver and inter-hub:ingress.defaultCertificate, not more"}},
		{"tls secret and resolver", func(c map[string]string, _ *[]string) { c["inter-hub:ingress.certResolver"] = "le" },
			[]string{"inter-hub:ingress.tlsSecret: set exactly one of " + oneTLS + ", not more"}},
		{"resolver name", func(c map[string]string, _ *[]string) {
			delete(c, "inter-hub:ingress.tlsSecret")
			c["inter-hub:ingress.certResolver"] = "le.prod"
		}, []string{`inter-hub:ingress.certResolver: not a Traefik resolver name (letters, digits, - and _): "le.prod"`}},
		{"tls neither", func(c map[string]string, _ *[]string) { delete(c, "inter-hub:ingress.tlsSecret") },
			[]string{"inter-hub:ingress.tlsSecret: missing: set exactly one of inter-hub:ingress.tlsSecret, inter-hub:ingress.clusterIssuer, inter-hub:ingress.certResolver and inter-hub:ingress.defaultCertificate (pulumi config set ingress.tlsSecret VALUE)"}},
		{"ingress host", func(c map[string]string, _ *[]string) { c["inter-hub:ingress.host"] = "Hub.Coulomb.Social" },
			[]string{`inter-hub:ingress.host: not a lowercase DNS name: "Hub.Coulomb.Social"`}},
		{"base url", func(c map[string]string, _ *[]string) { c["inter-hub:app.baseUrl"] = "hub.coulomb.social" },
			[]string{`inter-hub:app.baseUrl: not an http(s) URL: "hub.coulomb.social"`}},
		{"chart dir", func(c map[string]string, _ *[]string) { c["inter-hub:release.chart"] = other },
			[]string{"inter-hub:release.chart: " + other + ": not a chart directory (no Chart.yaml)"}},
		{"redirect", func(c map[string]string, _ *[]string) { c["inter-hub:ingress.redirect"] = "none" },
			[]string{`inter-hub:ingress.redirect: must be one of middleware, entrypoint, not "none"`}},
		{"node selector", func(c map[string]string, _ *[]string) { c["inter-hub:app.nodeSelector"] = `["a"]` },
			[]string{"inter-hub:app.nodeSelector: must be a mapping of node label to value"}},
		{"dashboard not a path", func(c map[string]string, _ *[]string) {
			c["inter-hub:smoke.dashboards"] = `["/admin/dashboards/hubs", "admin/dashboards/regions"]`
		},
			[]string{`inter-hub:smoke.dashboards: "admin/dashboards/regions" does not start with a single / (each entry is a path of the app, not a URL)`}},
		{"dashboard as a URL", func(c map[string]string, _ *[]string) {
			c["inter-hub:smoke.dashboards"] = `["https://hub.coulomb.social/admin"]`
		},
			[]string{`inter-hub:smoke.dashboards: "https://hub.coulomb.social/admin" does not start with a single / (each entry is a path of the app, not a URL)`}},
		{"dashboard twice", func(c map[string]string, _ *[]string) {
			c["inter-hub:smoke.dashboards"] = `["/admin/dashboards/hubs", "/admin/dashboards/hubs"]`
		},
			[]string{`inter-hub:smoke.dashboards: "/admin/dashboards/hubs" is listed more than once`}},
		{"dashboards empty", func(c map[string]string, _ *[]string) { c["inter-hub:smoke.dashboards"] = `[]` },
			[]string{"inter-hub:smoke.dashboards: must be a non-empty list of strings"}},
		{"sops file missing", func(c map[string]string, _ *[]string) {
			c["inter-hub:secrets.sopsFile"] = "deploy/secrets/nope.env.sops.yaml"
		},
			[]string{"inter-hub:secrets.sopsFile: cannot read deploy/secrets/nope.env.sops.yaml: no such file or directory"}},
		{"sops wrong key", func(c map[string]string, _ *[]string) { c["inter-hub:secrets.ageKeyFile"] = wrongAge },
			[]string{"inter-hub:secrets.sopsFile: deploy/secrets/local.env.sops.yaml: cannot decrypt the data key with any available identity (age identity from SOPS_AGE_KEY_FILE=" + wrongAge + "); the file is not encrypted for this key, see `sops updatekeys`"}},
		{"several at once", func(c map[string]string, s *[]string) {
			delete(c, "inter-hub:app.revision")
			c["inter-hub:build.hostKey"] = "nonsense"
			c["inter-hub:gate.timeoutSeconds"] = "-1"
		}, []string{
			"inter-hub:app.revision: missing (set it with: pulumi config set app.revision VALUE)",
			"inter-hub:build.hostKey: not an SSH public key (expected one line like ssh-ed25519 AAAA...)",
			"inter-hub:gate.timeoutSeconds: must be between 1 and 600, not -1",
		}},
	}
	if len(cases) < 20 {
		t.Fatalf("only %d cases", len(cases))
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg, secrets := f.Clone()
			tc.change(cfg, &secrets)
			gate := &gateRecorder{}
			m, _, _, err := runProgram(t, cfg, secrets, gate)
			if err == nil {
				t.Fatal("the program accepted the configuration")
			}
			var problems stacks.Problems
			if !errors.As(err, &problems) {
				t.Fatalf("error is not a list of configuration problems: %v", err)
			}
			got := make([]string, len(problems))
			for i, p := range problems {
				got[i] = p.String()
			}
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("problems:\n  got  %q\n  want %q", got, tc.want)
			}
			if !strings.Contains(err.Error(), "invalid stack configuration, nothing was changed") {
				t.Errorf("error text: %v", err)
			}
			if n := len(m.All()); n != 0 {
				t.Errorf("%d resources registered", n)
			}
			if gate.checks != nil {
				t.Error("the gate ran on an invalid configuration")
			}
		})
	}
}

const oneTLS = "inter-hub:ingress.tlsSecret, inter-hub:ingress.clusterIssuer, inter-hub:ingress.certResolver and inter-hub:ingress.defaultCertificate"

func without(list []string, s string) []string {
	var out []string
	for _, x := range list {
		if x != s {
			out = append(out, x)
		}
	}
	return out
}
