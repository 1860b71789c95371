package main

import (
	"encoding/base64"
	"encoding/json"
	"maps"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"

	"github.com/coulomb-social/inter-hub-deploy/internal/chartdigest"
	"github.com/coulomb-social/inter-hub-deploy/internal/testfixture"
)

const (
	tRelease    = "kubernetes:helm.sh/v3:Release"
	tSecret     = "kubernetes:core/v1:Secret"
	tIngress    = "kubernetes:networking.k8s.io/v1:Ingress"
	tRole       = "postgresql:index/role:Role"
	tDatabase   = "postgresql:index/database:Database"
	tRemote     = "command:remote:Command"
	tLocal      = "command:local:Command"
	tPassword   = "random:index/randomPassword:RandomPassword"
	tNamespace  = "kubernetes:core/v1:Namespace"
	tPatch      = "kubernetes:apps/v1:DeploymentPatch"
	tMiddleware = "kubernetes:traefik.io/v1alpha1:Middleware"
)

// graph runs the program on the fixture's configuration with the given changes applied.
func graph(t *testing.T, change func(cfg map[string]string)) (*mocks, map[string]any, map[string]bool) {
	t.Helper()
	f := testfixture.New(t, "https://127.0.0.1:16443")
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
	for _, r := range m.all() {
		if !r.Custom {
			components[r.URN] = true
		}
	}
	for _, r := range m.all() {
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
		m.one(t, "pulumi:providers:"+pkg, "providers-"+pkg)
	}
}

func TestProvidersHoldTheirCredentialsAsSecrets(t *testing.T) {
	m, _, _ := graph(t, nil)
	k := m.one(t, "pulumi:providers:kubernetes", "")
	if !k.Inputs["kubeconfig"].IsSecret() {
		t.Error("kubernetes provider: kubeconfig is not secret")
	}
	if got := k.Inputs["context"].StringValue(); got != "fixture" {
		t.Errorf("kubernetes provider context = %q", got)
	}
	if got := k.Inputs["clusterIdentifier"].StringValue(); got != "https://127.0.0.1:16443" {
		t.Errorf("kubernetes provider clusterIdentifier = %q", got)
	}
	p := m.one(t, "pulumi:providers:postgresql", "")
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
	rel := m.one(t, tRelease, "release")
	deps := rel.RPC.GetDependencies()
	for _, want := range []*registered{
		m.one(t, tSecret, "app-secret"),
		m.one(t, tRole, "database-role"),
		m.one(t, tDatabase, "database-db"),
		m.one(t, tLocal, "database-pgpool-users"),
		m.one(t, tRemote, "image"),
	} {
		if !slices.Contains(deps, want.URN) {
			t.Errorf("release does not depend on %s (deps: %v)", want.URN, deps)
		}
	}
	ing := m.one(t, tIngress, "ingress")
	if !slices.Contains(ing.RPC.GetDependencies(), rel.URN) {
		t.Errorf("ingress does not depend on the release")
	}
}

func TestReleaseOptionsAndValues(t *testing.T) {
	m, _, _ := graph(t, nil)
	rel := m.one(t, tRelease, "release")
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
	if got := v["image"].StringValue(); got != fakeImage {
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
func secretsOf(m *mocks, t *testing.T) []string {
	out := []string{testfixture.AdminPassword, testfixture.RegistryPassword, testfixture.RegistryPullPassword, pullAuth}
	for _, r := range m.ofType(tPassword) {
		out = append(out, fakePassword(r.Name, r.Inputs))
	}
	return out
}

func TestNoSecretReachesReleaseValuesOrCommandScripts(t *testing.T) {
	m, _, _ := graph(t, nil)
	secret := m.one(t, tSecret, "app-secret")
	sops := secret.Inputs["stringData"]
	plain := secretsOf(m, t)
	// The SOPS file's values too.
	for _, v := range unwrap(sops).ObjectValue() {
		plain = append(plain, unwrap(v).StringValue())
	}
	rel := m.one(t, tRelease, "release")
	for _, check := range []struct {
		what string
		v    resource.PropertyValue
	}{
		{"release inputs", resource.NewProperty(rel.Inputs)},
		{"remote build script", m.one(t, tRemote, "image").Inputs["create"]},
		{"pgpool users script", m.one(t, tLocal, "database-pgpool-users").Inputs["create"]},
		{"ingress", resource.NewProperty(m.one(t, tIngress, "ingress").Inputs)},
	} {
		text := check.v.String()
		for _, s := range plain {
			if s != "" && strings.Contains(text, s) {
				t.Errorf("%s contains the secret %q", check.what, s)
			}
		}
	}
}

func unwrap(v resource.PropertyValue) resource.PropertyValue {
	for v.IsSecret() {
		v = v.SecretValue().Element
	}
	return v
}

func TestAppSecretValuesAreSecret(t *testing.T) {
	m, _, _ := graph(t, nil)
	s := m.one(t, tSecret, "app-secret")
	if got := s.Inputs["metadata"].ObjectValue()["name"].StringValue(); got != "inter-hub-env" {
		t.Errorf("secret name = %q", got)
	}
	data := s.Inputs["stringData"]
	if !data.IsSecret() {
		t.Fatal("stringData is not secret")
	}
	values := unwrap(data).ObjectValue()
	get := func(k string) string { return unwrap(values[resource.PropertyKey(k)]).StringValue() }
	db := fakePassword("database-password", m.one(t, tPassword, "database-password").Inputs)
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
		if strings.HasPrefix(unwrap(values[k]).StringValue(), "ENC[") {
			t.Errorf("%s still encrypted", k)
		}
	}
}

// pullAuth is the fixture's pull account as the docker config's "auth" field holds it.
var pullAuth = base64.StdEncoding.EncodeToString([]byte(testfixture.RegistryPullUsername + ":" + testfixture.RegistryPullPassword))

func TestPullSecret(t *testing.T) {
	m, _, _ := graph(t, nil)
	s := m.one(t, tSecret, "pull-secret")
	md := s.Inputs["metadata"].ObjectValue()
	if md["name"].StringValue() != "inter-hub-registry" || md["namespace"].StringValue() != "inter-hub" {
		t.Errorf("pull secret metadata = %v", md)
	}
	if got := s.Inputs["type"].StringValue(); got != "kubernetes.io/dockerconfigjson" {
		t.Errorf("pull secret type = %q", got)
	}
	if _, plain := s.Inputs["data"]; plain {
		t.Error("pull secret sets data besides stringData")
	}
	data := s.Inputs["stringData"]
	if !data.IsSecret() {
		t.Fatal("pull secret stringData is not secret")
	}
	values := unwrap(data).ObjectValue()
	if len(values) != 1 {
		t.Errorf("pull secret keys = %v, want only .dockerconfigjson", values)
	}
	var config struct {
		Auths map[string]struct{ Username, Password, Auth string } `json:"auths"`
	}
	if err := json.Unmarshal([]byte(unwrap(values[".dockerconfigjson"]).StringValue()), &config); err != nil {
		t.Fatalf(".dockerconfigjson: %v", err)
	}
	auth, ok := config.Auths["127.0.0.1:5443"]
	if !ok || len(config.Auths) != 1 {
		t.Fatalf("auths = %v, want one entry for the registry host 127.0.0.1:5443", slices.Collect(maps.Keys(config.Auths)))
	}
	// The read-only pull account, never the build's push account.
	if auth.Username != testfixture.RegistryPullUsername || auth.Password != testfixture.RegistryPullPassword {
		t.Errorf("auths user = %q, want the pull user %q with the pull password", auth.Username, testfixture.RegistryPullUsername)
	}
	if auth.Auth != pullAuth {
		t.Error("auths auth is not base64 of pull user:password")
	}

	// The release names the Secret, depends on it, and gets nothing else of it.
	rel := m.one(t, tRelease, "release")
	v := rel.Inputs["values"].ObjectValue()
	if got := v["imagePullSecrets"].ArrayValue(); len(got) != 1 || got[0].StringValue() != "inter-hub-registry" {
		t.Errorf("values.imagePullSecrets = %v, want [inter-hub-registry]", v["imagePullSecrets"])
	}
	if !slices.Contains(rel.RPC.GetDependencies(), s.URN) {
		t.Errorf("release does not depend on the pull secret (deps: %v)", rel.RPC.GetDependencies())
	}
	// No other registration holds the pull password, in any encoding.
	for _, r := range m.all() {
		if r == s {
			continue
		}
		text := resource.NewProperty(r.Inputs).String()
		for what, secret := range map[string]string{
			"password": testfixture.RegistryPullPassword, "auth": pullAuth,
			"password (base64)": base64.StdEncoding.EncodeToString([]byte(testfixture.RegistryPullPassword)),
		} {
			if strings.Contains(text, secret) {
				t.Errorf("%s %s holds the pull %s", r.Type, r.Name, what)
			}
		}
	}
}

func TestImageBuildCommand(t *testing.T) {
	m, outs, _ := graph(t, nil)
	b := m.one(t, tRemote, "image")
	in := b.Inputs
	if !in["connection"].IsSecret() {
		t.Error("connection (with the private key) is not secret")
	}
	conn := unwrap(in["connection"]).ObjectValue()
	if conn["hostKey"].StringValue() == "" || !strings.HasPrefix(conn["hostKey"].StringValue(), "ssh-ed25519 ") {
		t.Errorf("host key not pinned: %v", conn["hostKey"])
	}
	if conn["port"].NumberValue() != 2222 || conn["host"].StringValue() != "127.0.0.1" {
		t.Errorf("connection = %v", conn)
	}
	if !in["stdin"].IsSecret() || unwrap(in["stdin"]).StringValue() != testfixture.RegistryPassword+"\n" {
		t.Error("the registry password is not passed as a secret on stdin")
	}
	if got := in["triggers"].ArrayValue(); len(got) != 1 || got[0].StringValue() != "v1" {
		t.Errorf("triggers = %v, want [v1]", got)
	}
	// stderr, so that a failed build says why; stdout is the image reference, not a log.
	if got := in["logging"].StringValue(); got != "stderr" {
		t.Errorf("logging = %q, want stderr", got)
	}
	create := in["create"].StringValue()
	for _, want := range []string{"timeout --kill-after=30 3600 sh -c", "'sandbox-haskelseed/inter-hub' 'v1' '127.0.0.1:5443' 'inter-hub' 'interhub-push' '.#docker'", "nix build", "skopeo copy", "--digestfile", "gunzip"} {
		if !strings.Contains(create, want) {
			t.Errorf("build command lacks %q", want)
		}
	}
	if outs["image"] != fakeImage {
		t.Errorf("image output = %v", outs["image"])
	}
}

func TestRoleAndDatabaseAreProtected(t *testing.T) {
	m, _, _ := graph(t, nil)
	for _, r := range []*registered{m.one(t, tRole, "database-role"), m.one(t, tDatabase, "database-db")} {
		if !r.RPC.GetProtect() {
			t.Errorf("%s is not protected", r.Type)
		}
		if !r.RPC.GetRetainOnDelete() {
			t.Errorf("%s is not retained on delete", r.Type)
		}
	}
	role := m.one(t, tRole, "database-role").Inputs
	for k, want := range map[string]bool{"login": true, "superuser": false, "createRole": false, "createDatabase": false} {
		if got := role[resource.PropertyKey(k)]; !got.IsBool() || got.BoolValue() != want {
			t.Errorf("role %s = %v, want %v", k, got, want)
		}
	}
	if !role["password"].IsSecret() {
		t.Error("role password is not secret")
	}
	if got := m.one(t, tDatabase, "database-db").Inputs["owner"].StringValue(); got != "inter_hub" {
		t.Errorf("database owner = %q", got)
	}
	pw := m.one(t, tPassword, "database-password").Inputs
	if got := pw["overrideSpecial"].StringValue(); strings.ContainsAny(got, ",; \t:") {
		t.Errorf("password specials %q include a character bitnami or pool_passwd split on", got)
	}
	if got := pw["keepers"].ObjectValue()["rotation"].StringValue(); got != "0" {
		t.Errorf("password keepers = %v", pw["keepers"])
	}
}

func TestPgEncStepPassesThePasswordOnStdin(t *testing.T) {
	m, _, _ := graph(t, nil)
	c := m.one(t, tLocal, "database-pgpool-users").Inputs
	if !c["stdin"].IsSecret() || !strings.HasPrefix(unwrap(c["stdin"]).StringValue(), "inter_hub:") {
		t.Errorf("stdin = %v, want the secret inter_hub:<password> line", c["stdin"])
	}
	if !strings.Contains(c["create"].StringValue(), "pg_enc -m -f \"$PGPOOL_CONF\" -k \"$PGPOOL_KEYFILE\" -i /dev/stdin") {
		t.Errorf("create = %q", c["create"].StringValue())
	}
	env := c["environment"].ObjectValue()
	if !strings.HasSuffix(env["PGPOOL_CONF"].StringValue(), "pgpool.conf") || !strings.HasSuffix(env["PGPOOL_KEYFILE"].StringValue(), "pgpoolkey") {
		t.Errorf("environment = %v", env)
	}
	// Triggers: the role and a digest of its password, so that a new password re-runs pg_enc
	// without putting the password itself in the triggers.
	trig := c["triggers"].ArrayValue()
	if len(trig) != 2 || trig[0].StringValue() != "inter_hub" || !regexp.MustCompile(`^[0-9a-f]{64}$`).MatchString(trig[1].StringValue()) {
		t.Errorf("triggers = %v", c["triggers"])
	}
	if c["logging"].StringValue() != "none" {
		t.Errorf("logging = %v", c["logging"])
	}
	if len(m.ofType(tPatch)) != 0 {
		t.Error("pgenc mode restarts a pgpool Deployment")
	}
}

func TestBitnamiStepWritesUsersSecretAndRestartsPgpool(t *testing.T) {
	m, _, _ := graph(t, func(c map[string]string) {
		c["inter-hub:pgpool.mode"] = "bitnami"
		c["inter-hub:pgpool.namespace"] = "railiance-platform"
		c["inter-hub:pgpool.deployment"] = "pgpool"
		delete(c, "inter-hub:pgpool.conf")
		delete(c, "inter-hub:pgpool.keyFile")
	})
	if len(m.ofType(tLocal)) != 0 {
		t.Error("bitnami mode runs pg_enc")
	}
	users := m.one(t, tSecret, "database-pgpool-users")
	md := users.Inputs["metadata"].ObjectValue()
	if md["name"].StringValue() != "inter-hub-pgpool-users" || md["namespace"].StringValue() != "railiance-platform" {
		t.Errorf("users secret metadata = %v", md)
	}
	data := unwrap(users.Inputs["stringData"]).ObjectValue()
	if unwrap(data["usernames"]).StringValue() != "inter_hub" {
		t.Errorf("usernames = %v", data["usernames"])
	}
	pw := unwrap(data["passwords"]).StringValue()
	if strings.ContainsAny(pw, ",; \t") || len(pw) != 32 {
		t.Errorf("password %q unusable in bitnami's lists", pw)
	}
	if !users.RPC.GetRetainOnDelete() {
		t.Error("users secret is not retained on delete")
	}
	patch := m.one(t, tPatch, "database-pgpool-restart")
	pmd := patch.Inputs["metadata"].ObjectValue()
	if pmd["name"].StringValue() != "pgpool" || pmd["annotations"].ObjectValue()["pulumi.com/patchFieldManager"].StringValue() != "inter-hub-pgpool-users" {
		t.Errorf("patch metadata = %v", pmd)
	}
	ann := patch.Inputs["spec"].ObjectValue()["template"].ObjectValue()["metadata"].ObjectValue()["annotations"].ObjectValue()
	if got := ann["inter-hub.coulomb.social/pgpool-users"]; got.IsSecret() || !regexp.MustCompile(`^[0-9a-f]{64}$`).MatchString(got.StringValue()) {
		t.Errorf("restart annotation = %v", got)
	}
	if !slices.Contains(patch.RPC.GetDependencies(), users.URN) {
		t.Error("the restart does not wait for the users secret")
	}
	rel := m.one(t, tRelease, "release")
	if !slices.Contains(rel.RPC.GetDependencies(), patch.URN) {
		t.Error("the release does not wait for the pgpool restart")
	}
}

func TestIngress(t *testing.T) {
	m, _, _ := graph(t, func(c map[string]string) { c["inter-hub:ingress.redirect"] = "middleware" })
	ing := m.one(t, tIngress, "ingress").Inputs
	md := ing["metadata"].ObjectValue()
	ann := md["annotations"].ObjectValue()
	if ann["traefik.ingress.kubernetes.io/router.entrypoints"].StringValue() != "websecure" ||
		ann["traefik.ingress.kubernetes.io/router.tls"].StringValue() != "true" {
		t.Errorf("annotations = %v", ann)
	}
	spec := ing["spec"].ObjectValue()
	if spec["ingressClassName"].StringValue() != "traefik" {
		t.Errorf("ingressClassName = %v", spec["ingressClassName"])
	}
	tls := spec["tls"].ArrayValue()
	if len(tls) != 1 || tls[0].ObjectValue()["secretName"].StringValue() != "inter-hub-tls" ||
		tls[0].ObjectValue()["hosts"].ArrayValue()[0].StringValue() != "inter-hub.localhost" {
		t.Errorf("tls = %v", tls)
	}
	rule := spec["rules"].ArrayValue()[0].ObjectValue()
	backend := rule["http"].ObjectValue()["paths"].ArrayValue()[0].ObjectValue()["backend"].ObjectValue()["service"].ObjectValue()
	if rule["host"].StringValue() != "inter-hub.localhost" || backend["name"].StringValue() != "inter-hub" ||
		backend["port"].ObjectValue()["name"].StringValue() != "http" {
		t.Errorf("rule = %v", rule)
	}

	mw := m.one(t, tMiddleware, "ingress-redirect-https").Inputs
	if mw["spec"].ObjectValue()["redirectScheme"].ObjectValue()["scheme"].StringValue() != "https" {
		t.Errorf("middleware = %v", mw)
	}
	httpIng := m.one(t, tIngress, "ingress-http").Inputs
	hann := httpIng["metadata"].ObjectValue()["annotations"].ObjectValue()
	if hann["traefik.ingress.kubernetes.io/router.entrypoints"].StringValue() != "web" ||
		hann["traefik.ingress.kubernetes.io/router.middlewares"].StringValue() != "inter-hub-inter-hub-redirect-https@kubernetescrd" {
		t.Errorf("http ingress annotations = %v", hann)
	}
	if _, hasTLS := httpIng["spec"].ObjectValue()["tls"]; hasTLS {
		t.Error("the http ingress has TLS")
	}
}

func TestIngressWithClusterIssuerAndEntrypointRedirect(t *testing.T) {
	m, _, _ := graph(t, func(c map[string]string) {
		delete(c, "inter-hub:ingress.tlsSecret")
		c["inter-hub:ingress.clusterIssuer"] = "letsencrypt-prod"
		c["inter-hub:ingress.redirect"] = "entrypoint"
	})
	ing := m.one(t, tIngress, "ingress").Inputs
	ann := ing["metadata"].ObjectValue()["annotations"].ObjectValue()
	if ann["cert-manager.io/cluster-issuer"].StringValue() != "letsencrypt-prod" {
		t.Errorf("annotations = %v", ann)
	}
	if got := ing["spec"].ObjectValue()["tls"].ArrayValue()[0].ObjectValue()["secretName"].StringValue(); got != "inter-hub-tls" {
		t.Errorf("secretName = %q", got)
	}
	if len(m.ofType(tMiddleware)) != 0 || len(m.ofType(tIngress)) != 1 {
		t.Error("entrypoint mode creates a redirect middleware or a second ingress")
	}
}

// With Traefik's default certificate the Ingress's TLS names the host and no Secret: Traefik
// drops an Ingress whose named Secret does not exist.
func TestIngressWithTraefiksDefaultCertificate(t *testing.T) {
	m, _, _ := graph(t, func(c map[string]string) {
		delete(c, "inter-hub:ingress.tlsSecret")
		c["inter-hub:ingress.defaultCertificate"] = "true"
	})
	ing := m.one(t, tIngress, "ingress").Inputs
	tls := ing["spec"].ObjectValue()["tls"].ArrayValue()
	if len(tls) != 1 {
		t.Fatalf("tls = %v", tls)
	}
	entry := tls[0].ObjectValue()
	if _, named := entry["secretName"]; named {
		t.Errorf("the Ingress names a TLS Secret: %v", entry)
	}
	if hosts := entry["hosts"].ArrayValue(); len(hosts) != 1 || hosts[0].StringValue() != "inter-hub.localhost" {
		t.Errorf("tls hosts = %v", hosts)
	}
	if _, ok := ing["metadata"].ObjectValue()["annotations"].ObjectValue()["cert-manager.io/cluster-issuer"]; ok {
		t.Error("the Ingress asks cert-manager for a certificate")
	}
}

func TestGateChecksArePresentAndRecorded(t *testing.T) {
	f := testfixture.New(t, "https://127.0.0.1:16443")
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
		if c.Enabled == (c.Name == "registry") {
			t.Errorf("check %s enabled = %v", c.Name, c.Enabled)
		}
	}
	if want := []string{"nodes", "traefik", "postgres", "registry", "buildHost"}; !slices.Equal(names, want) {
		t.Errorf("gate checks = %v, want %v", names, want)
	}
	g := m.one(t, "inter-hub:gate:Gate", "gate")
	if g.Custom {
		t.Error("gate is not a component")
	}
	if len(m.ofType(tNamespace)) != 1 {
		t.Error("namespace missing")
	}
}

func TestFailingGateRegistersNothing(t *testing.T) {
	f := testfixture.New(t, "https://127.0.0.1:16443")
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
	if n := len(m.all()); n != 0 {
		t.Errorf("%d resources registered despite the failing gate", n)
	}
}

func TestStackOutputs(t *testing.T) {
	_, outs, secret := graph(t, nil)
	want := map[string]any{
		"url":             "https://inter-hub.localhost",
		"image":           fakeImage,
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

func TestSessionSecretIsStableHexFromAPassword(t *testing.T) {
	m, _, _ := graph(t, func(c map[string]string) { c["inter-hub:session.rotation"] = "3" })
	in := m.one(t, tPassword, "session-secret-key").Inputs
	if in["length"].NumberValue() != 64 || in["upper"].BoolValue() || in["lower"].BoolValue() ||
		!in["numeric"].BoolValue() || in["overrideSpecial"].StringValue() != "abcdef" {
		t.Errorf("session key inputs = %v", in)
	}
	if got := in["keepers"].ObjectValue()["rotation"].StringValue(); got != "3" {
		t.Errorf("keepers.rotation = %q", got)
	}
	if len(m.ofType("random:index/randomId:RandomId")) != 0 {
		t.Error("a RandomId would keep the key in plain text as its ID")
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
