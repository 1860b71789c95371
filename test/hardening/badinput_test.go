//go:build integration

package hardening_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/coulomb-social/inter-hub-deploy/test/support/fixture"
	"github.com/coulomb-social/inter-hub-deploy/test/support/standin"
)

// expect is what a bad-input run must print, and what it must not (secrets given in the case).
type expect struct {
	want   []string
	absent []string
}

// badCase changes a copy of the deployed stack's configuration (or a file it names) in one way
// an operator could get wrong; `pulumi up` with it must fail with the expected text and change
// nothing.
type badCase struct {
	name   string
	proves string
	setup  func(t *testing.T, s *standin.Stack, file string) expect
}

const (
	configHeader1 = "invalid stack configuration, nothing was changed (1 problem):"
	gateHeader    = "readiness gate failed, nothing was changed:"
)

// config1 expects exactly one configuration problem, given as its full line.
func config1(line string) expect { return expect{want: []string{configHeader1, line}} }

var badInputCases = []badCase{
	// Configuration: stacks/ validates everything before a resource is registered.
	{"config/missing-key", "a required key that is not set is named, with the command that sets it",
		func(t *testing.T, s *standin.Stack, f string) expect {
			s.RemoveConfig(t, f, "build.host")
			return config1("inter-hub:build.host: missing (set it with: pulumi config set build.host VALUE)")
		}},
	{"config/missing-secret", "a missing secret is named, with the --secret command that sets it",
		func(t *testing.T, s *standin.Stack, f string) expect {
			s.RemoveConfig(t, f, "registry.password")
			return config1("inter-hub:registry.password: missing (set it with: pulumi config set --secret registry.password VALUE)")
		}},
	{"config/mistyped-key", "a misspelt key is refused with the key it was probably meant to be",
		func(t *testing.T, s *standin.Stack, f string) expect {
			s.SetConfig(t, f, map[string]string{"app.revison": "v2"})
			return config1("inter-hub:app.revison: unknown key (did you mean inter-hub:app.revision?)")
		}},
	{"config/integer-not-a-number", "an integer key holding a word is refused, naming key and value",
		func(t *testing.T, s *standin.Stack, f string) expect {
			s.SetConfig(t, f, map[string]string{"app.replicas": "two"})
			return config1(`inter-hub:app.replicas: not an integer: "two"`)
		}},
	{"config/boolean-not-a-boolean", "a boolean key holding yes is refused, naming key and value",
		func(t *testing.T, s *standin.Stack, f string) expect {
			s.SetConfig(t, f, map[string]string{"gate.nodes": "yes"})
			return config1(`inter-hub:gate.nodes: not a boolean (true or false): "yes"`)
		}},
	{"config/list-of-numbers", "a list key holding numbers is refused",
		func(t *testing.T, s *standin.Stack, f string) expect {
			s.SetConfig(t, f, map[string]string{"app.migrateCommand": "[1, 2]"})
			return config1("inter-hub:app.migrateCommand: must be a non-empty list of strings")
		}},
	{"config/map-not-a-map", "a map key holding a plain string is refused",
		func(t *testing.T, s *standin.Stack, f string) expect {
			s.SetConfig(t, f, map[string]string{"app.nodeSelector": "zone=a"})
			return config1("inter-hub:app.nodeSelector: must be a mapping of node label to value")
		}},
	{"config/port-out-of-range", "a port outside 1-65535 is refused with the range",
		func(t *testing.T, s *standin.Stack, f string) expect {
			s.SetConfig(t, f, map[string]string{"build.port": "70000"})
			return config1("inter-hub:build.port: must be between 1 and 65535, not 70000")
		}},
	{"config/secret-in-plain-text", "a secret stored in plain text is refused, and its value is not echoed",
		func(t *testing.T, s *standin.Stack, f string) expect {
			s.SetConfig(t, f, map[string]string{"registry.password": "plain-text-registry-password"})
			e := config1("inter-hub:registry.password: must be a secret: it is stored in plain text (set it with: pulumi config set --secret registry.password VALUE)")
			e.absent = []string{"plain-text-registry-password"}
			return e
		}},
	{"config/invalid-host", "a build host that is not a host name is refused",
		func(t *testing.T, s *standin.Stack, f string) expect {
			s.SetConfig(t, f, map[string]string{"build.host": "haskel seed"})
			return config1(`inter-hub:build.host: not a valid host name or IP address: "haskel seed"`)
		}},
	{"config/invalid-registry-port", "a registry address with a port out of range is refused",
		func(t *testing.T, s *standin.Stack, f string) expect {
			s.SetConfig(t, f, map[string]string{"registry.host": "127.0.0.1:99999"})
			return config1(`inter-hub:registry.host: not a valid host name or IP address: "127.0.0.1:99999"`)
		}},
	{"config/host-key-not-ssh", "a host key that is not an SSH public key (a fingerprint) is refused",
		func(t *testing.T, s *standin.Stack, f string) expect {
			s.SetConfig(t, f, map[string]string{"build.hostKey": "SHA256:Uq0sJYa8Ls2FQ0yMmvtlyKzqUgKLPtmCbZ3Po1E4t0s"})
			return config1("inter-hub:build.hostKey: not an SSH public key (expected one line like ssh-ed25519 AAAA...)")
		}},
	{"config/private-key-not-a-key", "a private key that does not parse is refused without echoing it",
		func(t *testing.T, s *standin.Stack, f string) expect {
			bogus := "-----BEGIN OPENSSH PRIVATE KEY-----\nbm90LWEta2V5LWF0LWFsbC1ib2d1cy1tYXRlcmlhbA==\n-----END OPENSSH PRIVATE KEY-----\n"
			s.SetSecret(t, f, "build.privateKey", bogus)
			e := config1("inter-hub:build.privateKey: not an SSH private key")
			e.absent = []string{"bm90LWEta2V5LWF0LWFsbC1ib2d1cy1tYXRlcmlhbA"}
			return e
		}},
	{"config/kubeconfig-of-another-cluster", "a kubeconfig whose context points at another apiserver than kubernetes.server is refused",
		func(t *testing.T, s *standin.Stack, f string) expect {
			kc := kubeconfigVariant(t, s, func(cluster, _ map[string]any) { cluster["server"] = "https://10.20.30.40:6443" })
			s.SetConfig(t, f, map[string]string{"kubernetes.kubeconfig": kc})
			return config1("inter-hub:kubernetes.kubeconfig: " + kc + ": context sandbox points at https://10.20.30.40:6443, but inter-hub:kubernetes.server expects https://127.0.0.1:16443")
		}},
	{"config/kubeconfig-missing", "a kubeconfig path that does not exist is named with the reason",
		func(t *testing.T, s *standin.Stack, f string) expect {
			path := filepath.Join(t.TempDir(), "railiance01.yaml")
			s.SetConfig(t, f, map[string]string{"kubernetes.kubeconfig": path})
			return config1("inter-hub:kubernetes.kubeconfig: cannot read " + path + ": no such file or directory")
		}},
	{"config/unknown-context", "a kubeconfig context that does not exist is refused",
		func(t *testing.T, s *standin.Stack, f string) expect {
			s.SetConfig(t, f, map[string]string{"kubernetes.context": "railiance01"})
			return config1(`inter-hub:kubernetes.kubeconfig: .sandbox/kubeconfig: context "railiance01" not found`)
		}},
	{"config/role-is-the-admin", "the app role may not be the admin role (the program would manage and protect it)",
		func(t *testing.T, s *standin.Stack, f string) expect {
			s.SetConfig(t, f, map[string]string{"database.role": "railiance_admin"})
			return config1("inter-hub:database.role: must differ from inter-hub:postgres.adminUser (railiance_admin)")
		}},
	{"config/not-a-chart", "a release.chart directory without Chart.yaml is refused",
		func(t *testing.T, s *standin.Stack, f string) expect {
			dir := t.TempDir()
			s.SetConfig(t, f, map[string]string{"release.chart": dir})
			return config1("inter-hub:release.chart: " + dir + ": not a chart directory (no Chart.yaml)")
		}},
	{"config/three-problems-at-once", "every problem is reported in one run, not only the first",
		func(t *testing.T, s *standin.Stack, f string) expect {
			s.SetConfig(t, f, map[string]string{"build.port": "0", "app.replicas": "50", "ingress.host": "Inter Hub"})
			return expect{want: []string{
				"invalid stack configuration, nothing was changed (3 problems):",
				"inter-hub:app.replicas: must be between 1 and 20, not 50",
				"inter-hub:build.port: must be between 1 and 65535, not 0",
				`inter-hub:ingress.host: not a lowercase DNS name: "Inter Hub"`,
			}}
		}},

	// Readiness gate: the real systems are probed before anything is registered.
	{"gate/cluster-unreachable", "a cluster that does not answer stops the run, named by its URL",
		func(t *testing.T, s *standin.Stack, f string) expect {
			url := "https://127.0.0.1:" + itoa(closedPort(t))
			kc := kubeconfigVariant(t, s, func(cluster, _ map[string]any) { cluster["server"] = url })
			s.SetConfig(t, f, map[string]string{"kubernetes.kubeconfig": kc, "kubernetes.server": url})
			return expect{want: []string{gateHeader,
				"gate check nodes failed: cluster unreachable at " + url + " (context sandbox):",
				"gate check traefik failed: cluster unreachable at " + url + " (context sandbox):",
				"connect: connection refused"}}
		}},
	{"gate/kubeconfig-with-another-clusters-ca", "an apiserver whose certificate the kubeconfig's CA did not sign is not trusted",
		func(t *testing.T, s *standin.Stack, f string) expect {
			ca, _, _ := newCA(t)
			kc := kubeconfigVariant(t, s, func(cluster, _ map[string]any) { cluster["certificate-authority-data"] = b64(ca) })
			s.SetConfig(t, f, map[string]string{"kubernetes.kubeconfig": kc})
			return expect{want: []string{gateHeader,
				"gate check nodes failed: cluster unreachable at https://127.0.0.1:16443 (context sandbox):",
				"x509: certificate signed by unknown authority"}}
		}},
	{"gate/kubeconfig-with-another-clusters-credentials", "client credentials of another cluster are refused by the apiserver, and said so",
		func(t *testing.T, s *standin.Stack, f string) expect {
			_, cert, key := newCA(t)
			kc := kubeconfigVariant(t, s, func(_, user map[string]any) {
				user["client-certificate-data"], user["client-key-data"] = b64(cert), b64(key)
			})
			s.SetConfig(t, f, map[string]string{"kubernetes.kubeconfig": kc})
			return expect{want: []string{gateHeader,
				"gate check nodes failed: the apiserver at https://127.0.0.1:16443 refused the credentials of context sandbox for GET /api/v1/nodes (HTTP 403)"}}
		}},
	{"gate/pgpool-down", "a pgpool endpoint that refuses connections stops the run",
		func(t *testing.T, s *standin.Stack, f string) expect {
			port := itoa(closedPort(t))
			s.SetConfig(t, f, map[string]string{"postgres.port": port})
			return expect{want: []string{gateHeader,
				"gate check postgres failed: cannot log in to 127.0.0.1:" + port + " as railiance_admin:",
				"connect: connection refused"}}
		}},
	{"gate/postgres-down-behind-pgpool", "a pgpool whose PostgreSQL is down stops the run with pgpool's own reason",
		func(t *testing.T, s *standin.Stack, f string) expect {
			port := itoa(pgpoolWithoutBackend(t, s))
			s.SetConfig(t, f, map[string]string{"postgres.port": port})
			return expect{want: []string{gateHeader,
				"gate check postgres failed: cannot log in to 127.0.0.1:" + port + " as railiance_admin:",
				"failed to create a backend 0 connection"}}
		}},
	{"gate/pgpool-hung", "a pgpool that accepts connections but never answers stops the run at the gate's time limit",
		func(t *testing.T, s *standin.Stack, f string) expect {
			port := itoa(silentListener(t))
			s.SetConfig(t, f, map[string]string{"postgres.port": port, "gate.timeoutSeconds": "3"})
			return expect{want: []string{gateHeader,
				"gate check postgres failed: no answer within 3s: cannot log in to 127.0.0.1:" + port + " as railiance_admin:"}}
		}},
	{"gate/wrong-admin-password", "a wrong admin password is refused by pgpool before anything changes, and not echoed",
		func(t *testing.T, s *standin.Stack, f string) expect {
			s.SetSecret(t, f, "postgres.adminPassword", "not-the-admin-password")
			return expect{want: []string{gateHeader,
				"gate check postgres failed: cannot log in to 127.0.0.1:15432 as railiance_admin:"},
				absent: []string{"not-the-admin-password"}}
		}},
	{"gate/registry-down", "a registry that refuses connections stops the run",
		func(t *testing.T, s *standin.Stack, f string) expect {
			port := itoa(closedPort(t))
			s.SetConfig(t, f, map[string]string{"registry.host": "127.0.0.1:" + port})
			return expect{want: []string{gateHeader,
				"gate check registry failed: registry unreachable:", "127.0.0.1:" + port, "connect: connection refused"}}
		}},
	{"gate/registry-refuses-credentials", "push credentials the registry refuses stop the run, and are not echoed",
		func(t *testing.T, s *standin.Stack, f string) expect {
			s.SetSecret(t, f, "registry.password", "not-the-registry-password")
			return expect{want: []string{gateHeader,
				"gate check registry failed: the registry at 127.0.0.1:5443 refused the push account interhub-push (HTTP 401: UNAUTHORIZED authentication required)"},
				absent: []string{"not-the-registry-password"}}
		}},
	{"gate/registry-refuses-pull-credentials", "a pull secret the registry would refuse stops the run with the registry's message, before pods fail to pull",
		func(t *testing.T, s *standin.Stack, f string) expect {
			s.SetSecret(t, f, "registry.pullPassword", "not-the-pull-password")
			return expect{want: []string{gateHeader,
				"gate check registry failed: the registry at 127.0.0.1:5443 refused the pull account interhub-pull (HTTP 401: UNAUTHORIZED authentication required)"},
				absent: []string{"not-the-pull-password"}}
		}},
	{"gate/registry-with-another-ca", "a registry certificate the configured CA did not sign is not trusted",
		func(t *testing.T, s *standin.Stack, f string) expect {
			ca, _, _ := newCA(t)
			s.SetConfig(t, f, map[string]string{"registry.caFile": writeFile(t, "ca.crt", string(ca))})
			return expect{want: []string{gateHeader,
				"gate check registry failed: registry unreachable:", "x509: certificate signed by unknown authority"}}
		}},
	{"gate/build-host-down", "a build host whose SSH port is closed stops the run",
		func(t *testing.T, s *standin.Stack, f string) expect {
			port := itoa(closedPort(t))
			s.SetConfig(t, f, map[string]string{"build.port": port})
			return expect{want: []string{gateHeader,
				"gate check buildHost failed: build host unreachable at 127.0.0.1:" + port + ":", "connect: connection refused"}}
		}},
	{"gate/wrong-host-key", "a build host presenting another host key than the pinned one is refused",
		func(t *testing.T, s *standin.Stack, f string) expect {
			_, other := fixture.KeyPair(t)
			s.SetConfig(t, f, map[string]string{"build.hostKey": other})
			return expect{want: []string{gateHeader,
				"gate check buildHost failed: 127.0.0.1:2222 presented a host key other than the pinned one (SHA256:",
				"): refusing to connect"}}
		}},
	{"gate/client-key-refused", "a client key the build host does not accept stops the run, and is not echoed",
		func(t *testing.T, s *standin.Stack, f string) expect {
			key, _ := fixture.KeyPair(t)
			s.SetSecret(t, f, "build.privateKey", key)
			return expect{want: []string{gateHeader,
				"gate check buildHost failed: 127.0.0.1:2222 refused the client key for user root"},
				absent: []string{strings.Split(key, "\n")[1]}}
		}},

	// The SOPS file: decrypted in-process before anything is registered.
	{"sops/encrypted-for-another-key", "a SOPS file not encrypted for the operator's age identity is refused, naming the file",
		func(t *testing.T, s *standin.Stack, f string) expect {
			path := sopsEncrypt(t, s, otherRecipient(t), "INTERHUB_API_KEY: other-key-api-key-3b8e\n")
			s.SetConfig(t, f, map[string]string{"secrets.sopsFile": path})
			return expect{want: []string{configHeader1,
				"inter-hub:secrets.sopsFile: " + path + ": cannot decrypt the data key with any available identity (age identity from SOPS_AGE_KEY_FILE=",
				"the file is not encrypted for this key, see `sops updatekeys`"}}
		}},
	{"sops/tampered-value", "a SOPS file whose encrypted value was edited outside sops is refused",
		func(t *testing.T, s *standin.Stack, f string) expect {
			path := sopsEncrypt(t, s, localRecipient(t, s), "INTERHUB_API_KEY: tampered-api-key-value-9c1d\nIHP_ENV: Production\n")
			tamperValue(t, path, "INTERHUB_API_KEY")
			s.SetConfig(t, f, map[string]string{"secrets.sopsFile": path})
			return expect{want: []string{configHeader1,
				"inter-hub:secrets.sopsFile: " + path + ": a value cannot be decrypted (corrupted or edited outside sops):"},
				absent: []string{"tampered-api-key-value-9c1d"}}
		}},
	{"sops/key-deleted-outside-sops", "a SOPS file with a key removed outside sops fails its MAC check",
		func(t *testing.T, s *standin.Stack, f string) expect {
			path := sopsEncrypt(t, s, localRecipient(t, s), "INTERHUB_API_KEY: mac-api-key-value-51fe\nIHP_ENV: Production\n")
			deleteLine(t, path, "IHP_ENV:")
			s.SetConfig(t, f, map[string]string{"secrets.sopsFile": path})
			return expect{want: []string{configHeader1,
				"inter-hub:secrets.sopsFile: " + path + ": integrity check failed (MAC mismatch): the file was modified outside sops"}}
		}},
	{"sops/still-encrypted-value", "a value that is still ENC[...] after decryption is refused, naming the key",
		func(t *testing.T, s *standin.Stack, f string) expect {
			path := sopsEncrypt(t, s, localRecipient(t, s),
				"INTERHUB_API_KEY: 'ENC[AES256_GCM,data:c2VjcmV0,iv:aXY=,tag:dGFn,type:str]'\nIHP_ENV: Production\n")
			s.SetConfig(t, f, map[string]string{"secrets.sopsFile": path})
			return config1("inter-hub:secrets.sopsFile: " + path + ": key INTERHUB_API_KEY: value is still encrypted (ENC[...]) after decryption")
		}},
	{"sops/empty-file", "an empty SOPS file is refused, naming the file",
		func(t *testing.T, s *standin.Stack, f string) expect {
			path := writeFile(t, "app.env.sops.yaml", "")
			s.SetConfig(t, f, map[string]string{"secrets.sopsFile": path})
			return config1("inter-hub:secrets.sopsFile: " + path + ": the file is empty")
		}},
	{"sops/duplicated-key", "a SOPS file that sets one key twice is refused, naming the key",
		func(t *testing.T, s *standin.Stack, f string) expect {
			path := sopsEncrypt(t, s, localRecipient(t, s), "INTERHUB_API_KEY: first-api-key-2f7a\nIHP_ENV_DUP: second-api-key-88c0\n")
			editFile(t, path, "IHP_ENV_DUP:", "INTERHUB_API_KEY:")
			s.SetConfig(t, f, map[string]string{"secrets.sopsFile": path})
			return expect{want: []string{configHeader1,
				"inter-hub:secrets.sopsFile: " + path + ": key INTERHUB_API_KEY: set more than once"},
				absent: []string{"first-api-key-2f7a", "second-api-key-88c0"}}
		}},
	{"sops/sets-a-reserved-key", "a SOPS file may not set a variable the program sets (DATABASE_URL)",
		func(t *testing.T, s *standin.Stack, f string) expect {
			path := sopsEncrypt(t, s, localRecipient(t, s), "DATABASE_URL: postgresql://someone:else@db.example/other\nIHP_ENV: Production\n")
			s.SetConfig(t, f, map[string]string{"secrets.sopsFile": path})
			e := config1("inter-hub:secrets.sopsFile: " + path + ": sets DATABASE_URL, which the program sets itself; remove it from the file")
			e.absent = []string{"someone:else"}
			return e
		}},
	{"sops/not-encrypted", "a plain YAML file given as the SOPS file is refused",
		func(t *testing.T, s *standin.Stack, f string) expect {
			path := writeFile(t, "app.env.yaml", "INTERHUB_API_KEY: plain-api-key-4e21\n")
			s.SetConfig(t, f, map[string]string{"secrets.sopsFile": path})
			return expect{want: []string{configHeader1,
				"inter-hub:secrets.sopsFile: " + path + ": not a SOPS-encrypted file (no sops metadata); encrypt it with `sops --encrypt --in-place`"},
				absent: []string{"plain-api-key-4e21"}}
		}},

	// Failures after the gate, on the update of a live stack: the release must stay as it is.
	{"build/fails", "a revision whose build fails stops the update before the release; the live release is untouched",
		func(t *testing.T, s *standin.Stack, f string) expect {
			s.SetConfig(t, f, map[string]string{"app.revision": s.Env.BuildHost.BrokenTag})
			return expect{want: []string{"create command on root@127.0.0.1:2222 exited with status 1; last lines of its stderr:",
				"error: Package 'docker-image-inter-hub' in " + s.Checkout + "/flake.nix is marked as broken, refusing to evaluate."}}
		}},
	{"build/revision-does-not-exist", "an app revision that does not exist stops the update with that name",
		func(t *testing.T, s *standin.Stack, f string) expect {
			s.SetConfig(t, f, map[string]string{"app.revision": "no-such-revision"})
			return expect{want: []string{"create command on root@127.0.0.1:2222 exited with status 4; last lines of its stderr:",
				"revision no-such-revision not found in " + s.Checkout + " (after fetching origin)"}}
		}},
	{"build/prints-no-digest", "a build whose push reports no digest fails instead of deploying an unknown image",
		func(t *testing.T, s *standin.Stack, f string) expect {
			port := startBuildHost(t, s, map[string]string{"skopeo": noDigestSkopeo})
			s.SetConfig(t, f, map[string]string{"build.port": itoa(port)})
			return expect{want: []string{"create command on root@127.0.0.1:" + itoa(port) + " exited with status 5; last lines of its stderr:",
				"unexpected digest from the registry: "}}
		}},
	{"release/chart-does-not-render", "a chart edited so that it does not render (same path) fails the update before Helm changes the release",
		func(t *testing.T, s *standin.Stack, f string) expect {
			// The stack deploys a copy of the chart (badInputChart); an edit in place is what
			// an operator's broken commit looks like: only the chart's content changes.
			path := filepath.Join(badInputChart, "templates", "service.yaml")
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { os.WriteFile(path, data, 0o644) })
			if err := os.WriteFile(path, append(append([]byte{}, data...), []byte("\n{{ .Values.nothing.here }}\n")...), 0o644); err != nil {
				t.Fatal(err)
			}
			return expect{want: []string{"kubernetes:helm.sh/v3:Release", "templates/service.yaml", "nil pointer evaluating interface {}.here"}}
		}},
}

// badInputChart is the chart directory TestBadInput's stack deploys (a copy of the app chart).
var badInputChart string

// TestBadInput deploys the stack once, then runs `pulumi up --yes` with each bad input and
// compares everything the stack touches before and after.
func TestBadInput(t *testing.T) {
	s := standin.New(t, standin.Options{Names: standin.NamesFor("hard", "input")})
	badInputChart = copyChart(t, s)
	s.SetConfig(t, s.ConfigFile, map[string]string{"release.chart": badInputChart})
	s.Up(t)
	snap := s.Snapshot(t)
	for _, c := range badInputCases {
		t.Run(c.name, func(t *testing.T) {
			record(t, "bad input", c.proves)
			file := s.CopyConfig(t)
			e := c.setup(t, s, file)
			r := s.RunWith(t, standin.UpTimeout, file, "up", "--yes")
			out := r.Output()
			if r.Err == nil {
				t.Errorf("pulumi up succeeded with bad input")
			}
			for _, w := range e.want {
				if !strings.Contains(out, w) {
					t.Errorf("the output lacks %q", w)
				}
			}
			for _, a := range e.absent {
				if strings.Contains(out, a) {
					t.Errorf("the output shows a value it must not: %.12s...", a)
				}
			}
			if t.Failed() {
				t.Logf("output of pulumi up:\n%s", out)
			}
			after := s.Snapshot(t)
			if d := snap.Diff(after); d != "" {
				t.Errorf("the failed run changed something:\n%s", d)
			}
			snap = after
		})
	}
	if n := len(badInputCases); n < 25 {
		t.Fatalf("only %d bad-input cases", n)
	}
}
