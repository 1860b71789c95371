package main

import (
	"encoding/base64"
	"encoding/json"
	"github.com/coulomb-social/inter-hub-deploy/test/support/mockstack"
	"maps"
	"net"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"

	"github.com/coulomb-social/inter-hub-deploy/components"
	"github.com/coulomb-social/inter-hub-deploy/internal/chartdigest"
	"github.com/coulomb-social/inter-hub-deploy/stacks"
	"github.com/coulomb-social/inter-hub-deploy/test/support/fixture"
)

const (
	tRelease     = "kubernetes:helm.sh/v3:Release"
	tSecret      = "kubernetes:core/v1:Secret"
	tIngress     = "kubernetes:networking.k8s.io/v1:Ingress"
	tRole        = "postgresql:index/role:Role"
	tDatabase    = "postgresql:index/database:Database"
	tRemote      = "command:remote:Command"
	tLocal       = "command:local:Command"
	tPassword    = "random:index/randomPassword:RandomPassword"
	tNamespace   = "kubernetes:core/v1:Namespace"
	tPatch       = "kubernetes:apps/v1:DeploymentPatch"
	tSecretPatch = "kubernetes:core/v1:SecretPatch"
	tMiddleware  = "kubernetes:traefik.io/v1alpha1:Middleware"
)

// graph runs the program on the fixture's configuration with the given changes applied.
func graph(t *testing.T, change func(cfg map[string]string)) (*mockstack.Monitor, map[string]any, map[string]bool) {
	t.Helper()
	f := fixture.New(t, "https://127.0.0.1:16443")
	cfg, secrets := f.Clone()
	if change != nil {
		change(cfg)
	}
	m, outs, secret, err := runProgram(t, cfg, secrets, nil)
	if err != nil {
		t.Fatalf("program failed: %v", err)
	}
	return m, outs, secret
}

func TestEveryResourceIsParentedAndUsesAnExplicitProvider(t *testing.T) {
	m, _, _ := graph(t, nil)
	components := map[string]bool{}
	for _, r := range m.All() {
		if !r.Custom {
			components[r.URN] = true
		}
	}
	for _, r := range m.All() {
		parent := r.RPC.GetParent()
		if !r.Custom {
			if !strings.HasPrefix(r.Type, "inter-hub:") {
				t.Errorf("component %s %s: type token not in the inter-hub package", r.Type, r.Name)
			}
			if regexp.MustCompile(`^inter-hub:[a-z]+:[A-Z][A-Za-z]+$`).FindString(r.Type) == "" {
				t.Errorf("component type %q is not inter-hub:<module>:<Type>", r.Type)
			}
			continue
		}
		if !components[parent] {
			t.Errorf("%s %s: parent %q is not one of the program's components", r.Type, r.Name, parent)
		}
		if strings.HasPrefix(r.Type, "pulumi:providers:") {
			continue
		}
		p := r.RPC.GetProvider()
		if !strings.Contains(p, "pulumi:providers:") || !strings.Contains(p, "::providers-") {
			t.Errorf("%s %s: no explicit provider (got %q)", r.Type, r.Name, p)
		}
	}
	// All four providers exist and nothing uses a default provider.
	for _, pkg := range []string{"kubernetes", "postgresql", "random", "command"} {
		m.One(t, "pulumi:providers:"+pkg, "providers-"+pkg)
	}
}

func TestProvidersHoldTheirCredentialsAsSecrets(t *testing.T) {
	m, _, _ := graph(t, nil)
	k := m.One(t, "pulumi:providers:kubernetes", "providers-kubernetes")
	if !k.Inputs["kubeconfig"].IsSecret() {
		t.Error("kubernetes provider: kubeconfig is not secret")
	}
	if got := k.Inputs["context"].StringValue(); got != "fixture" {
		t.Errorf("kubernetes provider context = %q", got)
	}
	if got := k.Inputs["clusterIdentifier"].StringValue(); got != "https://127.0.0.1:16443" {
		t.Errorf("kubernetes provider clusterIdentifier = %q", got)
	}
	p := m.One(t, "pulumi:providers:postgresql", "providers-postgresql")
	if !p.Inputs["password"].IsSecret() {
		t.Error("postgresql provider: password is not secret")
	}
	for k, want := range map[string]string{"host": "127.0.0.1", "username": "railiance_admin", "sslmode": "disable"} {
		if got := p.Inputs[resource.PropertyKey(k)].StringValue(); got != want {
			t.Errorf("postgresql provider %s = %q, want %q", k, got, want)
		}
	}
	if p.Inputs["superuser"].BoolValue() {
		t.Error("postgresql provider assumes a superuser admin")
	}
}

func TestReleaseDependsOnSecretDatabaseAndBuild(t *testing.T) {
	m, _, _ := graph(t, nil)
	rel := m.One(t, tRelease, "release")
	deps := rel.RPC.GetDependencies()
	for _, want := range []*mockstack.Resource{
		m.One(t, tSecret, "app-secret"),
		m.One(t, tRole, "database-role"),
		m.One(t, tDatabase, "database-db"),
		m.One(t, tLocal, "database-pgpool-users"),
		m.One(t, tRemote, "image"),
	} {
		if !slices.Contains(deps, want.URN) {
			t.Errorf("release does not depend on %s (deps: %v)", want.URN, deps)
		}
	}
	ing := m.One(t, tIngress, "ingress")
	if !slices.Contains(ing.RPC.GetDependencies(), rel.URN) {
		t.Errorf("ingress does not depend on the release")
	}
}

func TestReleaseOptionsAndValues(t *testing.T) {
	m, _, _ := graph(t, nil)
	rel := m.One(t, tRelease, "release")
	in := rel.Inputs
	wantBool := map[string]bool{"atomic": true, "cleanupOnFail": true, "skipAwait": false}
	for k, want := range wantBool {
		if got := in[resource.PropertyKey(k)]; !got.IsBool() || got.BoolValue() != want {
			t.Errorf("release %s = %v, want %v", k, got, want)
		}
	}
	wantNum := map[string]float64{"timeout": 600, "maxHistory": 10}
	for k, want := range wantNum {
		if got := in[resource.PropertyKey(k)]; !got.IsNumber() || got.NumberValue() != want {
			t.Errorf("release %s = %v, want %v", k, got, want)
		}
	}
	wantStr := map[string]string{"name": "inter-hub", "namespace": "inter-hub", "chart": "charts/inter-hub"}
	for k, want := range wantStr {
		if got := in[resource.PropertyKey(k)].StringValue(); got != want {
			t.Errorf("release %s = %q, want %q", k, got, want)
		}
	}
	values := in["values"]
	if values.IsSecret() || values.ContainsSecrets() {
		t.Fatal("release values hold a secret")
	}
	v := values.ObjectValue()
	if got := v["image"].StringValue(); got != mockstack.Image {
		t.Errorf("values.image = %q, want the built image by digest", got)
	}
	if got := v["existingSecret"].StringValue(); got != "inter-hub-env" {
		t.Errorf("values.existingSecret = %q", got)
	}
	if got := v["secretChecksum"].StringValue(); !regexp.MustCompile(`^[0-9a-f]{64}$`).MatchString(got) {
		t.Errorf("values.secretChecksum = %q", got)
	}
	digest, err := chartdigest.Dir("charts/inter-hub")
	if err != nil {
		t.Fatal(err)
	}
	if got := v["chartDigest"].StringValue(); got != digest {
		t.Errorf("values.chartDigest = %q, want %q", got, digest)
	}
	if got := v["replicaCount"].NumberValue(); got != 1 {
		t.Errorf("values.replicaCount = %v", got)
	}
	res := v["resources"].ObjectValue()
	if res["requests"].ObjectValue()["memory"].StringValue() != "256Mi" || res["limits"].ObjectValue()["memory"].StringValue() != "512Mi" {
		t.Errorf("values.resources = %v", res)
	}
	if _, hasCPULimit := res["limits"].ObjectValue()["cpu"]; hasCPULimit {
		t.Error("values.resources.limits.cpu set although app.cpuLimit is not")
	}
	if got := v["migrate"].ObjectValue()["command"].ArrayValue(); len(got) != 1 || got[0].StringValue() != "migrate" {
		t.Errorf("values.migrate.command = %v", got)
	}
}

// secretsOf collects the plain values of every secret the graph handles.
func secretsOf(m *mockstack.Monitor, t *testing.T) []string {
	out := []string{fixture.AdminPassword, fixture.RegistryPassword, fixture.RegistryPullPassword, pullAuth}
	for _, r := range m.OfType(tPassword) {
		out = append(out, mockstack.Password(r.Name, r.Inputs))
	}
	return out
}

func TestNoSecretReachesReleaseValuesOrCommandScripts(t *testing.T) {
	m, _, _ := graph(t, nil)
	secret := m.One(t, tSecret, "app-secret")
	sops := secret.Inputs["stringData"]
	plain := secretsOf(m, t)
	// The SOPS file's values too.
	for _, v := range mockstack.Unwrap(sops).ObjectValue() {
		plain = append(plain, mockstack.Unwrap(v).StringValue())
	}
	rel := m.One(t, tRelease, "release")
	for _, check := range []struct {
		what string
		v    resource.PropertyValue
	}{
		{"release inputs", resource.NewProperty(rel.Inputs)},
		{"remote build script", m.One(t, tRemote, "image").Inputs["create"]},
		{"pgpool users script", m.One(t, tLocal, "database-pgpool-users").Inputs["create"]},
		{"ingress", resource.NewProperty(m.One(t, tIngress, "ingress").Inputs)},
	} {
		text := check.v.String()
		for _, s := range plain {
			if s != "" && strings.Contains(text, s) {
				t.Errorf("%s contains the secret %q", check.what, s)
			}
		}
	}
}

// bitnamiConfig switches the fixture's stack to bitnami's pgpool in railiance-platform.
func bitnamiConfig(c map[string]string) {
	c["inter-hub:pgpool.mode"] = "bitnami"
	c["inter-hub:pgpool.namespace"] = "railiance-platform"
	c["inter-hub:pgpool.service"] = "pgpool"
	c["inter-hub:pgpool.deployment"] = "pgpool"
	delete(c, "inter-hub:pgpool.conf")
	delete(c, "inter-hub:pgpool.keyFile")
}

// usersSecret is the platform's users Secret as the cluster holds it (data base64-encoded).
func usersSecret(usernames, passwords string, extra map[string]string) resource.PropertyMap {
	data := map[string]string{"usernames": usernames, "passwords": passwords}
	maps.Copy(data, extra)
	return mockstack.SecretState(data)
}

const usersSecretID = "railiance-platform/inter-hub-pgpool-users"

// The ...ArgsFromConfig tests check how the program wires the configuration into each component;
// what a component makes of its arguments is tested beside it, in components/.

func TestDatabaseArgsFromConfig(t *testing.T) {
	m, _, _ := graph(t, func(c map[string]string) { c["inter-hub:database.passwordRotation"] = "2" })
	if got := m.One(t, tRole, "database-role").Inputs["name"].StringValue(); got != "inter_hub" {
		t.Errorf("role name = %q", got)
	}
	db := m.One(t, tDatabase, "database-db").Inputs
	if db["name"].StringValue() != "inter_hub" || db["owner"].StringValue() != "inter_hub" {
		t.Errorf("database name, owner = %v, %v", db["name"], db["owner"])
	}
	if got := m.One(t, tPassword, "database-password").Inputs["keepers"].ObjectValue()["rotation"].StringValue(); got != "2" {
		t.Errorf("password keepers.rotation = %q", got)
	}
	// The fixture's pgpool is reached with pg_enc.
	c := m.One(t, tLocal, "database-pgpool-users").Inputs
	if !strings.HasPrefix(mockstack.Unwrap(c["stdin"]).StringValue(), "inter_hub:") {
		t.Error("stdin is not the role's inter_hub:<password> line")
	}
	env := c["environment"].ObjectValue()
	if !strings.HasSuffix(env["PGPOOL_CONF"].StringValue(), "pgpool.conf") || !strings.HasSuffix(env["PGPOOL_KEYFILE"].StringValue(), "pgpoolkey") {
		t.Errorf("environment = %v", env)
	}
	if len(m.OfType(tPatch)) != 0 {
		t.Error("pgenc mode restarts a pgpool Deployment")
	}
}

// With bitnami's pgpool the program reads and patches the configured users Secret with its
// kubernetes provider, restarts the configured Deployment, and the release waits for that.
func TestBitnamiPgpoolArgsFromConfig(t *testing.T) {
	f := fixture.New(t, "https://127.0.0.1:16443")
	cfg, secrets := f.Clone()
	bitnamiConfig(cfg)
	m := &mockstack.Monitor{Existing: map[string]resource.PropertyMap{mockstack.ExistingKey(tSecret, usersSecretID): usersSecret(
		"other_app;inter_hub", "other-app-password;stale-password", map[string]string{"note": "platform"})}}
	m, _, _, err := runProgramOn(t, m, cfg, secrets, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.OfType(tLocal)) != 0 {
		t.Error("bitnami mode runs pg_enc")
	}
	if len(m.Reads()) != 1 || m.Reads()[0].Type != tSecret || m.Reads()[0].ReadRPC.GetId() != usersSecretID {
		t.Fatalf("reads = %v, want the users Secret %s", m.Reads(), usersSecretID)
	}
	read := m.Reads()[0].ReadRPC
	if !strings.Contains(read.GetParent(), "inter-hub:database:Database::database") || !strings.Contains(read.GetProvider(), "::providers-kubernetes") {
		t.Errorf("read: parent %q, provider %q", read.GetParent(), read.GetProvider())
	}
	patch := m.One(t, tSecretPatch, "database-pgpool-users")
	md := patch.Inputs["metadata"].ObjectValue()
	if md["name"].StringValue() != "inter-hub-pgpool-users" || md["namespace"].StringValue() != "railiance-platform" {
		t.Errorf("users patch metadata = %v", md)
	}
	if got := mockstack.Decoded(t, mockstack.Unwrap(patch.Inputs["data"]).ObjectValue()["usernames"]); got != "other_app,inter_hub" {
		t.Errorf("usernames = %q", got)
	}
	restart := m.One(t, tPatch, "database-pgpool-restart")
	if pmd := restart.Inputs["metadata"].ObjectValue(); pmd["name"].StringValue() != "pgpool" || pmd["namespace"].StringValue() != "railiance-platform" {
		t.Errorf("restart metadata = %v", pmd)
	}
	rel := m.One(t, tRelease, "release")
	if !slices.Contains(rel.RPC.GetDependencies(), restart.URN) {
		t.Error("the release does not wait for the pgpool restart")
	}
	// No input of any registration in the whole graph holds the other app's password.
	if held := m.Holding("other-app-password", patch); len(held) > 0 {
		t.Errorf("%s hold the other app's password", held)
	}
}

func TestSessionSecretArgsFromConfig(t *testing.T) {
	m, _, _ := graph(t, func(c map[string]string) { c["inter-hub:session.rotation"] = "3" })
	if got := m.One(t, tPassword, "session-secret-key").Inputs["keepers"].ObjectValue()["rotation"].StringValue(); got != "3" {
		t.Errorf("keepers.rotation = %q", got)
	}
}

// The app Secret gets the database's URL, the session key and the SOPS file's values decrypted.
func TestAppSecretArgsFromConfig(t *testing.T) {
	m, _, _ := graph(t, nil)
	s := m.One(t, tSecret, "app-secret")
	if got := s.Inputs["metadata"].ObjectValue()["name"].StringValue(); got != "inter-hub-env" {
		t.Errorf("secret name = %q", got)
	}
	values := mockstack.Unwrap(s.Inputs["stringData"]).ObjectValue()
	get := func(k string) string { return mockstack.Unwrap(values[resource.PropertyKey(k)]).StringValue() }
	db := mockstack.Password("database-password", m.One(t, tPassword, "database-password").Inputs)
	if want := "postgresql://inter_hub:" + db + "@127.0.0.1:15432/inter_hub?sslmode=disable"; get("DATABASE_URL") != want {
		t.Errorf("DATABASE_URL = %q, want %q", get("DATABASE_URL"), want)
	}
	if !regexp.MustCompile(`^[0-9a-f]{64}$`).MatchString(get("IHP_SESSION_SECRET")) {
		t.Errorf("IHP_SESSION_SECRET = %q, want 64 hex characters", get("IHP_SESSION_SECRET"))
	}
	if get("IHP_BASEURL") != "https://inter-hub.localhost" {
		t.Errorf("IHP_BASEURL = %q", get("IHP_BASEURL"))
	}
	if get("INTERHUB_API_KEY") == "" {
		t.Error("the SOPS file's INTERHUB_API_KEY is missing from the Secret")
	}
	for k := range values {
		if strings.HasPrefix(mockstack.Unwrap(values[k]).StringValue(), "ENC[") {
			t.Errorf("%s still encrypted", k)
		}
	}
}

// pullAuth is the fixture's pull account as the docker config's "auth" field holds it.
var pullAuth = base64.StdEncoding.EncodeToString([]byte(fixture.RegistryPullUsername + ":" + fixture.RegistryPullPassword))

// The pull Secret holds the registry's read-only account, and the release gets its name only.
func TestPullSecretArgsFromConfig(t *testing.T) {
	m, _, _ := graph(t, nil)
	s := m.One(t, tSecret, "pull-secret")
	md := s.Inputs["metadata"].ObjectValue()
	if md["name"].StringValue() != "inter-hub-registry" || md["namespace"].StringValue() != "inter-hub" {
		t.Errorf("pull secret metadata = %v", md)
	}
	var config struct {
		Auths map[string]struct{ Username, Password, Auth string } `json:"auths"`
	}
	values := mockstack.Unwrap(s.Inputs["stringData"]).ObjectValue()
	if err := json.Unmarshal([]byte(mockstack.Unwrap(values[".dockerconfigjson"]).StringValue()), &config); err != nil {
		t.Fatalf(".dockerconfigjson: %v", err)
	}
	auth, ok := config.Auths["127.0.0.1:5443"]
	if !ok || len(config.Auths) != 1 {
		t.Fatalf("auths = %v, want one entry for the registry host 127.0.0.1:5443", slices.Collect(maps.Keys(config.Auths)))
	}
	// The read-only pull account, never the build's push account.
	if auth.Username != fixture.RegistryPullUsername || auth.Password != fixture.RegistryPullPassword {
		t.Errorf("auths user = %q, want the pull user %q with the pull password", auth.Username, fixture.RegistryPullUsername)
	}
	if auth.Auth != pullAuth {
		t.Error("auths auth is not base64 of pull user:password")
	}

	// The release names the Secret, depends on it, and gets nothing else of it.
	rel := m.One(t, tRelease, "release")
	v := rel.Inputs["values"].ObjectValue()
	if got := v["imagePullSecrets"].ArrayValue(); len(got) != 1 || got[0].StringValue() != "inter-hub-registry" {
		t.Errorf("values.imagePullSecrets = %v, want [inter-hub-registry]", v["imagePullSecrets"])
	}
	if !slices.Contains(rel.RPC.GetDependencies(), s.URN) {
		t.Errorf("release does not depend on the pull secret (deps: %v)", rel.RPC.GetDependencies())
	}
	// No other registration holds the pull password, in any encoding.
	for what, secret := range map[string]string{
		"password": fixture.RegistryPullPassword, "auth": pullAuth,
		"password (base64)": base64.StdEncoding.EncodeToString([]byte(fixture.RegistryPullPassword)),
	} {
		if held := m.Holding(secret, s); len(held) > 0 {
			t.Errorf("%s hold the pull %s", held, what)
		}
	}
}

func TestImageBuildArgsFromConfig(t *testing.T) {
	var cfg map[string]string
	m, outs, _ := graph(t, func(c map[string]string) { cfg = c })
	in := m.One(t, tRemote, "image").Inputs
	conn := mockstack.Unwrap(in["connection"]).ObjectValue()
	// The configured authorized_keys line, without its newline.
	if conn["hostKey"].StringValue() != strings.TrimSpace(cfg["inter-hub:build.hostKey"]) || !strings.HasPrefix(conn["hostKey"].StringValue(), "ssh-ed25519 ") {
		t.Errorf("host key not pinned: %v", conn["hostKey"])
	}
	if conn["port"].NumberValue() != 2222 || conn["host"].StringValue() != "127.0.0.1" || conn["user"].StringValue() != "root" {
		t.Errorf("connection = %v", conn)
	}
	// The push account's password, not the pull account's.
	if mockstack.Unwrap(in["stdin"]).StringValue() != fixture.RegistryPassword+"\n" {
		t.Error("the registry password is not passed on stdin")
	}
	if got := in["triggers"].ArrayValue(); len(got) != 1 || got[0].StringValue() != "v1" {
		t.Errorf("triggers = %v, want [v1]", got)
	}
	create := in["create"].StringValue()
	for _, want := range []string{"timeout --kill-after=30 3600 sh -c", "'sandbox-haskelseed/inter-hub' 'v1' '127.0.0.1:5443' 'inter-hub' 'interhub-push' '.#docker'"} {
		if !strings.Contains(create, want) {
			t.Errorf("build command lacks %q", want)
		}
	}
	if outs["image"] != mockstack.Image {
		t.Errorf("image output = %v", outs["image"])
	}
}

// The Ingress's host, class, backend, certificate source and redirect come from the config; the
// gate checks the certificate for every source but Traefik's default certificate.
func TestIngressArgsFromConfig(t *testing.T) {
	const (
		issuer   = "cert-manager.io/cluster-issuer"
		resolver = "traefik.ingress.kubernetes.io/router.tls.certresolver"
	)
	for _, tc := range []struct {
		name        string
		config      map[string]string // "" deletes the key
		annotations map[string]string // of issuer and resolver; absent ones must not be set
		secretName  string            // "" for none
		middleware  bool
		certCheck   bool
	}{
		{"tlsSecret", map[string]string{"inter-hub:ingress.redirect": "middleware"},
			nil, "inter-hub-tls", true, true},
		{"clusterIssuer", map[string]string{"inter-hub:ingress.tlsSecret": "", "inter-hub:ingress.clusterIssuer": "letsencrypt-prod", "inter-hub:ingress.redirect": "entrypoint"},
			map[string]string{issuer: "letsencrypt-prod"}, "inter-hub-tls", false, true},
		{"certResolver", map[string]string{"inter-hub:ingress.tlsSecret": "", "inter-hub:ingress.certResolver": "le"},
			map[string]string{resolver: "le"}, "", true, true},
		{"defaultCertificate", map[string]string{"inter-hub:ingress.tlsSecret": "", "inter-hub:ingress.defaultCertificate": "true"},
			nil, "", true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := fixture.New(t, "https://127.0.0.1:16443")
			cfg, secrets := f.Clone()
			for k, v := range tc.config {
				if v == "" {
					delete(cfg, k)
				} else {
					cfg[k] = v
				}
			}
			gate := &gateRecorder{}
			m, _, _, err := runProgram(t, cfg, secrets, gate)
			if err != nil {
				t.Fatal(err)
			}
			ing := m.One(t, tIngress, "ingress").Inputs
			ann := ing["metadata"].ObjectValue()["annotations"].ObjectValue()
			for _, k := range []string{issuer, resolver} {
				want, set := tc.annotations[k]
				if got, ok := ann[resource.PropertyKey(k)]; ok != set || (set && got.StringValue() != want) {
					t.Errorf("annotation %s = %v, want %q", k, got, want)
				}
			}
			spec := ing["spec"].ObjectValue()
			if spec["ingressClassName"].StringValue() != "traefik" {
				t.Errorf("ingressClassName = %v", spec["ingressClassName"])
			}
			tls := spec["tls"].ArrayValue()[0].ObjectValue()
			if got := tls["secretName"]; (tc.secretName == "") != got.IsNull() || (tc.secretName != "" && got.StringValue() != tc.secretName) {
				t.Errorf("tls secretName = %v, want %q", got, tc.secretName)
			}
			if hosts := tls["hosts"].ArrayValue(); len(hosts) != 1 || hosts[0].StringValue() != "inter-hub.localhost" {
				t.Errorf("tls hosts = %v", hosts)
			}
			// The chart names its Service after the release.
			rule := spec["rules"].ArrayValue()[0].ObjectValue()
			backend := rule["http"].ObjectValue()["paths"].ArrayValue()[0].ObjectValue()["backend"].ObjectValue()["service"].ObjectValue()
			if rule["host"].StringValue() != "inter-hub.localhost" || backend["name"].StringValue() != "inter-hub" ||
				backend["port"].ObjectValue()["name"].StringValue() != "http" {
				t.Errorf("rule = %v", rule)
			}
			if !tc.middleware {
				if len(m.OfType(tMiddleware)) != 0 || len(m.OfType(tIngress)) != 1 {
					t.Error("entrypoint mode creates a redirect middleware or a second ingress")
				}
			} else {
				m.One(t, tMiddleware, "ingress-redirect-https")
				hann := m.One(t, tIngress, "ingress-http").Inputs["metadata"].ObjectValue()["annotations"].ObjectValue()
				if got := hann["traefik.ingress.kubernetes.io/router.middlewares"].StringValue(); got != "inter-hub-inter-hub-redirect-https@kubernetescrd" {
					t.Errorf("http ingress middlewares = %q", got)
				}
			}
			enabled := map[string]bool{}
			for _, c := range gate.checks {
				enabled[c.Name] = c.Enabled
			}
			if on, ok := enabled["certificates"]; !ok || on != tc.certCheck {
				t.Errorf("the certificates check: present %v, enabled %v, want enabled %v", ok, on, tc.certCheck)
			}
		})
	}
}

func TestGateChecksArePresentAndRecorded(t *testing.T) {
	f := fixture.New(t, "https://127.0.0.1:16443")
	cfg, secrets := f.Clone()
	cfg["inter-hub:gate.registry"] = "false"
	gate := &gateRecorder{}
	m, _, _, err := runProgram(t, cfg, secrets, gate)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, c := range gate.checks {
		names = append(names, c.Name)
		// registry (and its owner): switched off; pgpool's: the fixture's pgpool is not bitnami's.
		off := strings.HasPrefix(c.Name, "registry") || strings.HasPrefix(c.Name, "pgpool")
		if c.Enabled == off {
			t.Errorf("check %s enabled = %v", c.Name, c.Enabled)
		}
	}
	if want := []string{"nodes", "traefik", "certificates", "pgpool", "pgpoolUsers", "postgres", "postgresTLS", "registry", "registryOwner", "buildHost", "imageContract"}; !slices.Equal(names, want) {
		t.Errorf("gate checks = %v, want %v", names, want)
	}
	g := m.One(t, "inter-hub:gate:Gate", "gate")
	if g.Custom {
		t.Error("gate is not a component")
	}
	if len(m.OfType(tNamespace)) != 1 {
		t.Error("namespace missing")
	}
}

func TestFailingGateRegistersNothing(t *testing.T) {
	f := fixture.New(t, "https://127.0.0.1:16443")
	cfg, secrets := f.Clone()
	gate := &gateRecorder{fail: map[string]string{
		"postgres":  "cannot log in to 127.0.0.1:15432 as railiance_admin: connection refused",
		"buildHost": "127.0.0.1:2222 presented a host key other than the pinned one",
	}}
	m, _, _, err := runProgram(t, cfg, secrets, gate)
	if err == nil {
		t.Fatal("program succeeded with a failing gate")
	}
	for _, want := range []string{
		"readiness gate failed, nothing was changed:",
		"gate check postgres failed: cannot log in to 127.0.0.1:15432 as railiance_admin: connection refused",
		"gate check buildHost failed: 127.0.0.1:2222 presented a host key other than the pinned one",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
	if n := len(m.All()); n != 0 {
		t.Errorf("%d resources registered despite the failing gate", n)
	}
}

func TestImageContractFailureStopsBeforeTheRelease(t *testing.T) {
	f := fixture.New(t, "https://127.0.0.1:16443")
	cfg, secrets := f.Clone()
	gate := &gateRecorder{fail: map[string]string{"imageContract": "the migration command migrate is not on the image's PATH /bin"}}
	m, _, _, err := runProgram(t, cfg, secrets, gate)
	if err == nil {
		t.Fatal("the program succeeded with an image that fails its contract")
	}
	if want := "the built image failed its contract check, the release was not changed: the migration command migrate"; !strings.Contains(err.Error(), want) {
		t.Errorf("error lacks %q:\n%v", want, err)
	}
	if n := len(m.OfType(tRelease)); n != 0 {
		t.Errorf("%d releases registered with an image that failed its contract", n)
	}
	if n := len(m.OfType("command:remote:Command")); n != 1 {
		t.Errorf("%d build commands registered, want the build that made the image", n)
	}
}

func TestImageContractOffChecksNothing(t *testing.T) {
	f := fixture.New(t, "https://127.0.0.1:16443")
	cfg, secrets := f.Clone()
	cfg["inter-hub:gate.imageContract"] = "false"
	gate := &gateRecorder{fail: map[string]string{"imageContract": "must not run"}}
	m, _, _, err := runProgram(t, cfg, secrets, gate)
	if err != nil {
		t.Fatal(err)
	}
	m.One(t, tRelease, "release")
	for _, c := range gate.checks {
		if c.Name == "imageContract" && c.Enabled {
			t.Error("the image contract check is enabled with gate.imageContract false")
		}
	}
}

func TestStackOutputs(t *testing.T) {
	_, outs, secret := graph(t, nil)
	want := map[string]any{
		"url":             "https://inter-hub.localhost",
		"image":           mockstack.Image,
		"releaseRevision": 1,
		"namespace":       "inter-hub",
		"databaseName":    "inter_hub",
	}
	for k, v := range want {
		if outs[k] != v {
			t.Errorf("output %s = %#v, want %#v", k, outs[k], v)
		}
		if secret[k] {
			t.Errorf("output %s is secret", k)
		}
	}
	if len(outs) != len(want) {
		t.Errorf("outputs = %v", outs)
	}
}

func TestBuildToolsAreCheckedOnUpNotPreview(t *testing.T) {
	if got := buildTools(true); len(got) != 0 {
		t.Errorf("preview checks build tools %v; it should only check the host key and login", got)
	}
	for _, tool := range []string{"git", "nix", "skopeo", "gunzip", "timeout"} {
		if !slices.Contains(buildTools(false), tool) {
			t.Errorf("up does not check for %s on the build host", tool)
		}
	}
}

// With bitnami's pgpool the gate looks for its Service, Deployment and users Secret under the
// configured names, and for the app's port on the Service the app connects to.
func TestBitnamiGateChecksAddressTheConfiguredPgpool(t *testing.T) {
	f := fixture.New(t, "https://127.0.0.1:16443")
	cfg, secrets := f.Clone()
	bitnamiConfig(cfg)
	cfg["inter-hub:pgpool.service"] = "postgresql-ha-pgpool"
	cfg["inter-hub:pgpool.deployment"] = "postgresql-ha-pgpool"
	cfg["inter-hub:postgres.appHost"] = "postgresql-ha-pgpool.railiance-platform.svc.cluster.local"
	cfg["inter-hub:postgres.appPort"] = "6432"
	gate := &gateRecorder{fail: map[string]string{"pgpool": "Service railiance-platform/postgresql-ha-pgpool not found"}}
	_, _, _, err := runProgram(t, cfg, secrets, gate)
	if err == nil || !strings.Contains(err.Error(), "gate check pgpool failed: Service railiance-platform/postgresql-ha-pgpool not found") {
		t.Fatalf("program error = %v", err)
	}
	enabled := map[string]bool{}
	for _, c := range gate.checks {
		enabled[c.Name] = c.Enabled
	}
	if !enabled["pgpool"] || !enabled["pgpoolUsers"] {
		t.Errorf("pgpool checks enabled = %v", enabled)
	}
	cfg["inter-hub:gate.pgpool"] = "false"
	gate = &gateRecorder{}
	m := &mockstack.Monitor{Existing: map[string]resource.PropertyMap{mockstack.ExistingKey(tSecret, usersSecretID): usersSecret("", "", nil)}}
	if _, _, _, err := runProgramOn(t, m, cfg, secrets, gate); err != nil {
		t.Fatal(err)
	}
	for _, c := range gate.checks {
		if strings.HasPrefix(c.Name, "pgpool") && c.Enabled {
			t.Errorf("%s runs with gate.pgpool false", c.Name)
		}
	}
}

// The TLS probe fails a stack that requires TLS of an endpoint that offers none; it names the
// settings that require it.
func TestTLSRequiredBy(t *testing.T) {
	pgpool := components.Endpoint{Host: "pgpool", Port: 5432, SSLMode: "require"}
	p := stacks.Postgres{Admin: pgpool, App: pgpool}
	if got := tlsRequiredBy(p); !slices.Equal(got, []string{"inter-hub:postgres.sslmode is require"}) {
		t.Errorf("require: %q", got)
	}
	p.Admin.SSLMode = "disable"
	if got := tlsRequiredBy(p); !slices.Equal(got, []string{"inter-hub:postgres.appSslmode is require"}) {
		t.Errorf("app only: %q", got)
	}
	p.App.Host = "10.42.0.1" // the app's endpoint is another one: not probed here
	if got := tlsRequiredBy(p); len(got) != 0 {
		t.Errorf("other endpoint: %q", got)
	}
}

// closedPort is a local TCP port nothing listens on.
func closedPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
}

// `pulumi preview --stack railiance01` with every operator value set but nothing reachable: the
// gate's real probes all fail, and the one error the program reports names, for each check, the
// assumption it could not verify; nothing is registered.
func TestUnreachableRailianceListsEveryUnverifiedAssumption(t *testing.T) {
	f := fixture.New(t, "https://127.0.0.1:"+closedPort(t))
	cfg, secrets := f.Railiance01(t, ".")
	// The real hosts would need DNS; closed local ports fail the same way, at once.
	cfg["inter-hub:postgres.host"] = "127.0.0.1"
	cfg["inter-hub:postgres.port"] = closedPort(t)
	cfg["inter-hub:registry.host"] = "127.0.0.1:" + closedPort(t)
	cfg["inter-hub:build.host"] = "127.0.0.1"
	cfg["inter-hub:build.port"] = closedPort(t)
	gate := &gateRecorder{probe: true, timeout: 10 * time.Second}
	m, _, _, err := runProgram(t, cfg, secrets, gate)
	if err == nil {
		t.Fatal("the program passed the gate with nothing reachable")
	}
	msg := err.Error()
	if strings.Count(msg, "readiness gate failed, nothing was changed:") != 1 {
		t.Errorf("not one report:\n%s", msg)
	}
	for _, c := range gate.checks {
		if !c.Enabled {
			t.Errorf("check %s does not run for railiance01", c.Name)
		}
		if !strings.Contains(msg, "gate check "+c.Name+" failed: ") {
			t.Errorf("the report lacks check %s:\n%s", c.Name, msg)
		}
	}
	for _, want := range []string{
		"unverified: pgpool's Service railiance-platform/pgpool (inter-hub:pgpool.service) and Deployment railiance-platform/pgpool (inter-hub:pgpool.deployment) exist",
		"unverified: the users Secret railiance-platform/inter-hub-pgpool-users (inter-hub:pgpool.usersSecret) exists and is the one pgpool's Deployment reads its custom users from",
		"unverified: 127.0.0.1:" + cfg["inter-hub:postgres.port"] + " offers TLS (needed: inter-hub:postgres.sslmode is require)",
		"unverified: cert-manager's ClusterIssuer letsencrypt-prod (inter-hub:ingress.clusterIssuer) exists and is Ready",
		"unverified: the registry owner coulomb (of inter-hub:registry.repository) is a Gitea user or organization whose packages interhub-push may read",
		"unverified: the admin railiance_admin (inter-hub:postgres.adminUser) logs in at 127.0.0.1:",
		"unverified: the build host 127.0.0.1:" + cfg["inter-hub:build.port"] + " (inter-hub:build.host) presents the pinned host key",
		"unverified: the IngressClass traefik (inter-hub:ingress.className) and Traefik's Deployment kube-system/traefik (inter-hub:gate.traefikDeployment) exist",
		"gate check postgresTLS failed: cannot ask 127.0.0.1:",
		"gate check certificates failed: cluster unreachable at https://127.0.0.1:",
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("the report lacks %q:\n%s", want, msg)
		}
	}
	if n := strings.Count(msg, "\n    unverified: "); n != len(gate.checks) {
		t.Errorf("%d unverified lines for %d checks:\n%s", n, len(gate.checks), msg)
	}
	if n := len(m.All()); n != 0 {
		t.Errorf("%d resources registered", n)
	}
	t.Logf("the report:\n%s", msg)
}
