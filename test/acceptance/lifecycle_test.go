//go:build integration

// Package acceptance_test runs the whole lifecycle of the deploy program's local stack against
// the stand-in environment through the Automation API and the real Pulumi CLI, and checks each
// step against the real systems: the apiserver, PostgreSQL through pgpool, the registry and the
// build host.
package acceptance_test

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/auto/optup"

	"github.com/lib/pq"

	"github.com/coulomb-social/inter-hub-deploy/internal/smoke"
	"github.com/coulomb-social/inter-hub-deploy/internal/sopsfile"
	"github.com/coulomb-social/inter-hub-deploy/sandbox/sandboxenv"
	"github.com/coulomb-social/inter-hub-deploy/test/support/clirun"
	"github.com/coulomb-social/inter-hub-deploy/test/support/standin"
)

// release is the Helm release's name, and so the Deployment's and the Ingress's.
const release = "inter-hub"

func TestLifecycle(t *testing.T) {
	names := standin.NamesFor("accept", "life")
	p := newProject(t, names, map[string]string{
		"app.baseUrl":            "https://" + names.Host,
		"release.timeoutSeconds": "60",
	})
	sops, err := sopsfile.Decrypt(filepath.Join(p.Root, "deploy", "secrets", "local.env.sops.yaml"),
		filepath.Join(p.Root, "sandbox", "fixtures", "age-local.key"))
	if err != nil {
		t.Fatalf("decrypting the local SOPS file: %v", err)
	}
	var v1Image, v1RS string

	step(t, "preview of a fresh stack changes nothing", func(t *testing.T) {
		res, err := p.stack.Preview(context.Background())
		if err != nil {
			t.Fatalf("preview: %v\n%s", err, res.StdOut)
		}
		if n := res.ChangeSummary["create"]; n < 20 {
			t.Errorf("preview plans %d creates, want the whole graph (>= 20): %v", n, res.ChangeSummary)
		}
		for _, want := range []string{"command:remote:Command", "kubernetes:helm.sh/v3:Release", "postgresql:index:Role"} {
			if !strings.Contains(res.StdOut, want) {
				t.Errorf("preview does not list %s:\n%s", want, res.StdOut)
			}
		}
		if p.exists(t, "get", "namespace", p.Namespace) {
			t.Errorf("preview created namespace %s", p.Namespace)
		}
		if p.roleExists(t) {
			t.Errorf("preview created role %s", p.Role)
		}
		if tags := p.tags(t); len(tags) != 0 {
			t.Errorf("preview pushed images: %v", tags)
		}
	})

	step(t, "up deploys the whole graph", func(t *testing.T) {
		if _, err := p.up(t); err != nil {
			t.Fatalf("up: %v", err)
		}
		v1Image = p.output(t, "image")
		p.assertImage(t, v1Image, "v1")
		p.assertNamespace(t)
		p.assertSecret(t, sops)
		p.assertDatabase(t)
		p.assertMigrationJob(t, v1Image)
		p.assertMigrations(t, "v1")
		// A fresh database: the schema first, the migrations recorded with it, none applied.
		p.assertMigrationLog(t, "schema: loading IHPSchema.sql", "schema: loading Application/Schema.sql",
			"schema: loaded; 2 migration(s) recorded as applied", "0 to apply", "the database is up to date")
		p.assertIngress(t)
		v1RS = p.replicaSets(t)
	})

	step(t, "smoke checks pass, and again after a rollout restart, with the data written before", func(t *testing.T) {
		p.smoke(t, sops["INTERHUB_API_KEY"], "v1")
		p.writeHub(t, "Restart Hub")
		r := smoke.Restart{
			Kubectl: p.Tool.Bin("kubectl"), Kubeconfig: p.Env.Kubernetes.Kubeconfig,
			Namespace: p.Namespace, Deployment: release, Timeout: 3 * time.Minute,
		}
		ends, err := r.Run(context.Background())
		if err != nil {
			t.Fatalf("rollout restart: %v", err)
		}
		// The old pods' app containers exited 0 after SIGTERM, within the grace period.
		if smoke.Failed(ends) > 0 || len(ends) != 2 {
			var b strings.Builder
			smoke.Write(&b, ends)
			t.Fatalf("the old pods did not all exit cleanly (want 2):\n%s", b.String())
		}
		p.smoke(t, sops["INTERHUB_API_KEY"], "v1")
		p.assertHubServed(t, sops["INTERHUB_API_KEY"], "Restart Hub")
		v1RS = p.replicaSets(t)
	})

	step(t, "after a node restart the app serves again with its data, without an up", func(t *testing.T) {
		p.writeHub(t, "Reboot Hub")
		cmd := exec.Command(filepath.Join(p.Root, "sandbox", "sandbox.sh"), "restart-node")
		cmd.Env = append(os.Environ(), sandboxenv.DirEnv+"="+p.Env.StateDir)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("sandbox.sh restart-node: %v\n%s", err, out)
		}
		t.Logf("sandbox.sh restart-node:\n%s", out)
		p.smoke(t, sops["INTERHUB_API_KEY"], "v1")
		p.assertHubServed(t, sops["INTERHUB_API_KEY"], "Reboot Hub")
		v1RS = p.replicaSets(t)
	})

	step(t, "a second up changes nothing and builds nothing", func(t *testing.T) {
		builds := p.builds(t)
		if changed, err := p.up(t, optup.ExpectNoChanges()); err != nil {
			t.Fatalf("up --expect-no-changes: %v (changed %v)", err, changed)
		}
		if got := p.builds(t); got != builds {
			t.Errorf("the build host built again: %d builds before, %d after", builds, got)
		}
		if got := p.replicaSets(t); got != v1RS {
			t.Errorf("ReplicaSets changed:\n before %s\n after  %s", v1RS, got)
		}
	})

	step(t, "a replicas-only change upgrades the release and runs no migration Job", func(t *testing.T) {
		job := p.migrationJobUID(t)
		for _, replicas := range []string{"1", "2"} {
			p.setConfig(t, "app.replicas", replicas)
			changed, err := p.up(t)
			if err != nil {
				t.Fatalf("up with app.replicas %s: %v", replicas, err)
			}
			if want := []string{"kubernetes:helm.sh/v3:Release::release"}; !sameSet(changed, want) {
				t.Errorf("app.replicas %s: changed resources = %v, want exactly %v", replicas, changed, want)
			}
			if got := string(p.Kubectl(t, "-n", p.Namespace, "get", "deployment", release, "-o", "jsonpath={.spec.replicas}")); got != replicas {
				t.Errorf("the Deployment has %s replicas, want %s", got, replicas)
			}
			if got := p.migrationJobUID(t); got != job {
				t.Errorf("app.replicas %s ran a migration Job (uid %s, before %s)", replicas, got, job)
			}
		}
		p.assertMigrationJob(t, v1Image)
	})

	var v2Image string
	step(t, "a new app revision changes only the build and the release", func(t *testing.T) {
		builds := p.builds(t)
		p.setConfig(t, "app.revision", "v2")
		changed, err := p.up(t)
		if err != nil {
			t.Fatalf("up: %v", err)
		}
		want := []string{"command:remote:Command::image", "kubernetes:helm.sh/v3:Release::release"}
		if !sameSet(changed, want) {
			t.Errorf("changed resources = %v, want exactly %v", changed, want)
		}
		if got := p.builds(t); got != builds+1 {
			t.Errorf("the build host ran %d builds for the new revision, want 1", got-builds)
		}
		v2Image = p.output(t, "image")
		if v2Image == v1Image {
			t.Fatalf("the image did not change: %s", v2Image)
		}
		p.assertImage(t, v2Image, "v2")
		p.assertMigrations(t, "v2")
		// A database with tables: no schema, v2's one migration applied.
		p.assertMigrationLog(t, "the schema is not loaded again", "1 to apply", "applied 1767312000-add-hub-regions.sql")
		p.smoke(t, sops["INTERHUB_API_KEY"], "v2")
		p.assertHubServed(t, sops["INTERHUB_API_KEY"], "Reboot Hub")
	})

	// A revision that fails on the way in leaves v2 live: its image, its migrations, its pods.
	failing := func(tag, what string, check func(t *testing.T, err error)) func(t *testing.T) {
		return func(t *testing.T) {
			p.setConfig(t, "app.revision", tag)
			_, err := p.up(t)
			if err == nil {
				t.Fatalf("up of a revision that %s succeeded", what)
			}
			check(t, err)
			p.setConfig(t, "app.revision", "v2")
			p.assertImage(t, v2Image, "v2")
			p.assertMigrations(t, "v2")
			p.smoke(t, sops["INTERHUB_API_KEY"], "v2")
		}
	}
	step(t, "a revision that crashes at start is rolled back by Helm, the old pods serving",
		failing(p.Env.BuildHost.CrashTag, "crashes at start", func(t *testing.T, err error) {
			if !regexp.MustCompile(`(?i)release .*(failed|rolled back)|timed out|context deadline`).MatchString(err.Error()) {
				t.Errorf("up failed without naming the release failure:\n%s", err)
			}
		}))
	step(t, "a migration that fails keeps the previous release serving",
		failing(p.Env.BuildHost.BadMigrationTag, "fails its migration", func(t *testing.T, err error) {
			if !strings.Contains(err.Error(), "migrate") {
				t.Errorf("up failed without naming the migration Job:\n%s", err)
			}
		}))

	step(t, "an image without migrate stops before the release: after its build, then at the gate", func(t *testing.T) {
		job, records := p.migrationJobUID(t), p.helmRecords(t)
		// By tag the image is built and then checked; by commit the registry has it already
		// and the gate checks it, before anything is registered.
		for _, c := range []struct{ revision, says string }{
			{p.Env.BuildHost.NoMigrateTag, "the built image failed its contract check, the release was not changed"},
			{p.commit(t, p.Env.BuildHost.NoMigrateTag), "readiness gate failed, nothing was changed"},
		} {
			p.setConfig(t, "app.revision", c.revision)
			_, err := p.up(t)
			if err == nil {
				t.Fatalf("up of %s, an image without migrate, succeeded", c.revision)
			}
			for _, want := range []string{c.says, "does not hold what the chart runs in it", "the migration command migrate"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("up of %s: the error lacks %q:\n%s", c.revision, want, err)
				}
			}
		}
		if got := p.migrationJobUID(t); got != job {
			t.Errorf("a migration Job ran (uid %s, before %s)", got, job)
		}
		if got := p.helmRecords(t); got != records {
			t.Errorf("the release changed: its records were %q, now %q", records, got)
		}
		p.setConfig(t, "app.revision", "v2")
		p.assertImage(t, v2Image, "v2")
		p.smoke(t, sops["INTERHUB_API_KEY"], "v2")
	})

	step(t, "rollback through history brings the first revision back without a rebuild", func(t *testing.T) {
		builds := p.builds(t)
		p.rollback(t, 1)
		p.assertImage(t, v1Image, "v1")
		if got := p.output(t, "image"); got != v1Image {
			t.Errorf("image output after rollback = %s, want %s", got, v1Image)
		}
		if got := p.builds(t); got != builds {
			t.Errorf("rollback rebuilt the image: %d builds before, %d after", builds, got)
		}
		p.smoke(t, sops["INTERHUB_API_KEY"], "v1")
	})

	step(t, "destroy keeps the protected role and database and their data", func(t *testing.T) {
		db := p.appDB(t)
		if _, err := db.Exec(`CREATE TABLE IF NOT EXISTS acceptance_marker (note text); INSERT INTO acceptance_marker VALUES ('kept')`); err != nil {
			t.Fatalf("writing a row as the app role: %v", err)
		}
		db.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
		defer cancel()
		if _, err := p.stack.Destroy(ctx); err == nil {
			t.Log("destroy succeeded while protected resources remain")
		} else if !strings.Contains(err.Error(), "protected") {
			t.Fatalf("destroy: %v", err)
		}
		// The documented operator command: everything but the protected role and database.
		r := p.cli(t, "destroy", "--yes", "--exclude-protected")
		if r.Err != nil {
			t.Fatalf("destroy --exclude-protected: %v\n%s", r.Err, r.Output())
		}
		if p.exists(t, "-n", p.Namespace, "get", "deployment", release) {
			t.Errorf("the release's Deployment is still there")
		}
		if p.exists(t, "-n", p.Namespace, "get", "secret", "-l", "owner=helm") {
			t.Errorf("the Helm release record is still there")
		}
		db = p.appDB(t)
		defer db.Close()
		var note string
		if err := db.QueryRow(`SELECT note FROM acceptance_marker`).Scan(&note); err != nil || note != "kept" {
			t.Fatalf("the row written before destroy: %q, %v", note, err)
		}
	})
}

// step runs one stage of the lifecycle; a failed stage stops the ones after it.
func step(t *testing.T, name string, f func(t *testing.T)) {
	t.Helper()
	if t.Failed() {
		t.Logf("skipping %q after an earlier failure", name)
		return
	}
	start := time.Now()
	if !t.Run(name, f) {
		t.Logf("%q failed after %.1fs", name, time.Since(start).Seconds())
		t.FailNow()
	}
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(slices.Compact(a), slices.Compact(b))
}

// deployment holds the fields of a Deployment the test reads.
type deployment struct {
	Spec struct {
		Template struct {
			Spec struct {
				NodeSelector map[string]string `json:"nodeSelector"`
				Containers   []struct {
					Image string `json:"image"`
				} `json:"containers"`
			} `json:"spec"`
		} `json:"template"`
	} `json:"spec"`
}

// assertImage checks that the live Deployment runs image, and that image is what the registry
// holds for the revision's tag.
func (p *project) assertImage(t *testing.T, image, revision string) {
	t.Helper()
	var d deployment
	p.kubectlJSON(t, &d, "-n", p.Namespace, "get", "deployment", release)
	if len(d.Spec.Template.Spec.Containers) == 0 || d.Spec.Template.Spec.Containers[0].Image != image {
		t.Errorf("live Deployment image = %+v, want %s", d.Spec.Template.Spec.Containers, image)
	}
	digest := image[strings.LastIndex(image, "@")+1:]
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	got, err := p.Env.Registry.Digest(ctx, p.Repository, "git-"+p.commit(t, revision))
	if err != nil || got != digest {
		t.Errorf("registry digest of %s = %q (%v), want %s", revision, got, err, digest)
	}
}

func (p *project) assertNamespace(t *testing.T) {
	t.Helper()
	var ns struct {
		Metadata struct {
			Labels map[string]string `json:"labels"`
		} `json:"metadata"`
	}
	p.kubectlJSON(t, &ns, "get", "namespace", p.Namespace)
	if ns.Metadata.Labels["app.kubernetes.io/part-of"] != "inter-hub" {
		t.Errorf("namespace labels = %v", ns.Metadata.Labels)
	}
}

// assertSecret checks the app Secret: the SOPS values decrypted, plus the program's own keys.
func (p *project) assertSecret(t *testing.T, sops map[string]string) {
	t.Helper()
	data := p.secretData(t)
	for k, v := range sops {
		if data[k] != v {
			t.Errorf("Secret %s does not hold the SOPS file's value", k)
		}
	}
	if !regexp.MustCompile(`^[0-9a-f]{64}$`).MatchString(data["IHP_SESSION_SECRET"]) {
		t.Errorf("IHP_SESSION_SECRET is not 64 hex characters")
	}
	if data["IHP_BASEURL"] != "https://"+p.Host {
		t.Errorf("IHP_BASEURL = %q", data["IHP_BASEURL"])
	}
	if !strings.HasPrefix(data["DATABASE_URL"], "postgres") {
		t.Errorf("DATABASE_URL missing or malformed")
	}
}

func (p *project) secretData(t *testing.T) map[string]string {
	t.Helper()
	var s struct {
		Data map[string]string `json:"data"`
	}
	p.kubectlJSON(t, &s, "-n", p.Namespace, "get", "secret", release+"-env")
	out := map[string]string{}
	for k, v := range s.Data {
		b, err := base64.StdEncoding.DecodeString(v)
		if err != nil {
			t.Fatalf("Secret key %s: %v", k, err)
		}
		out[k] = string(b)
	}
	return out
}

// appDB connects through pgpool as the app role with the password from DATABASE_URL (as last
// read from the Secret: destroy removes it).
func (p *project) appDB(t *testing.T) *sql.DB {
	t.Helper()
	if p.exists(t, "-n", p.Namespace, "get", "secret", release+"-env") {
		p.lastDBURL = p.secretData(t)["DATABASE_URL"]
	}
	db, err := sql.Open("postgres", p.lastDBURL)
	if err != nil {
		t.Fatalf("DATABASE_URL: %v", err)
	}
	if err := db.Ping(); err != nil {
		t.Fatalf("logging in through pgpool with DATABASE_URL: %v", err)
	}
	return db
}

func (p *project) assertDatabase(t *testing.T) {
	t.Helper()
	db := p.appDB(t)
	defer db.Close()
	var user, owner string
	err := db.QueryRow(`SELECT current_user, pg_get_userbyid(datdba) FROM pg_database WHERE datname = current_database()`).Scan(&user, &owner)
	if err != nil || user != p.Role || owner != p.Role {
		t.Errorf("logged in as %q, database owned by %q (%v); want %s for both", user, owner, err, p.Role)
	}
	var createRole, createDB, super bool
	err = db.QueryRow(`SELECT rolcreaterole, rolcreatedb, rolsuper FROM pg_roles WHERE rolname = current_user`).Scan(&createRole, &createDB, &super)
	if err != nil || createRole || createDB || super {
		t.Errorf("app role privileges: createrole=%v createdb=%v superuser=%v (%v)", createRole, createDB, super, err)
	}
}

func (p *project) roleExists(t *testing.T) bool {
	t.Helper()
	db := p.AdminDB(t)
	defer db.Close()
	var n int
	if err := db.QueryRow(`SELECT count(*) FROM pg_roles WHERE rolname = $1`, p.Role).Scan(&n); err != nil {
		t.Fatalf("querying roles: %v", err)
	}
	return n > 0
}

// assertMigrationJob checks that the migration hook Job ran once, with the release's image.
func (p *project) assertMigrationJob(t *testing.T, image string) {
	t.Helper()
	var jobs struct {
		Items []struct {
			Metadata struct {
				Name        string            `json:"name"`
				Annotations map[string]string `json:"annotations"`
			} `json:"metadata"`
			Spec struct {
				Template deploymentTemplate `json:"template"`
			} `json:"spec"`
			Status struct {
				Succeeded int `json:"succeeded"`
				Failed    int `json:"failed"`
			} `json:"status"`
		} `json:"items"`
	}
	p.kubectlJSON(t, &jobs, "-n", p.Namespace, "get", "jobs")
	var hooks int
	for _, j := range jobs.Items {
		if !strings.Contains(j.Metadata.Annotations["helm.sh/hook"], "pre-install") {
			continue
		}
		hooks++
		if j.Status.Succeeded != 1 || j.Status.Failed != 0 {
			t.Errorf("migration Job %s: succeeded %d, failed %d", j.Metadata.Name, j.Status.Succeeded, j.Status.Failed)
		}
		if c := j.Spec.Template.Spec.Containers; len(c) == 0 || c[0].Image != image {
			t.Errorf("migration Job %s runs %+v, want %s", j.Metadata.Name, c, image)
		}
	}
	if hooks != 1 {
		t.Errorf("%d migration hook Jobs, want 1", hooks)
	}
}

// assertMigrationLog checks that the last migration Job's log holds each of want.
func (p *project) assertMigrationLog(t *testing.T, want ...string) {
	t.Helper()
	log := string(p.Kubectl(t, "-n", p.Namespace, "logs", "job/"+release+"-migrate"))
	for _, w := range want {
		if !strings.Contains(log, w) {
			t.Errorf("the migration Job's log lacks %q:\n%s", w, log)
		}
	}
}

// migrationJobUID is the uid of the release's migration hook Job: a new uid means it ran again.
func (p *project) migrationJobUID(t *testing.T) string {
	t.Helper()
	uid := string(p.Kubectl(t, "-n", p.Namespace, "get", "job", release+"-migrate", "-o", "jsonpath={.metadata.uid}"))
	if uid == "" {
		t.Fatalf("no migration Job %s-migrate in %s", release, p.Namespace)
	}
	return uid
}

// helmRecords lists the release's Helm records (one Secret per revision) with their status.
func (p *project) helmRecords(t *testing.T) string {
	t.Helper()
	return string(p.Kubectl(t, "-n", p.Namespace, "get", "secret", "-l", "owner=helm,name="+release,
		"-o", `jsonpath={range .items[*]}{.metadata.labels.version}={.metadata.labels.status} {end}`))
}

type deploymentTemplate struct {
	Spec struct {
		Containers []struct {
			Image string `json:"image"`
		} `json:"containers"`
	} `json:"spec"`
}

func (p *project) assertIngress(t *testing.T) {
	t.Helper()
	var ing struct {
		Spec struct {
			IngressClassName string `json:"ingressClassName"`
			Rules            []struct {
				Host string `json:"host"`
			} `json:"rules"`
			TLS []struct {
				Hosts      []string `json:"hosts"`
				SecretName string   `json:"secretName"`
			} `json:"tls"`
		} `json:"spec"`
		Metadata struct {
			Annotations map[string]string `json:"annotations"`
		} `json:"metadata"`
	}
	p.kubectlJSON(t, &ing, "-n", p.Namespace, "get", "ingress", release)
	if ing.Spec.IngressClassName != "traefik" || len(ing.Spec.Rules) == 0 || ing.Spec.Rules[0].Host != p.Host {
		t.Errorf("Ingress class %q rules %+v", ing.Spec.IngressClassName, ing.Spec.Rules)
	}
	// The local stack serves the host with Traefik's default certificate: no Secret is named.
	if len(ing.Spec.TLS) == 0 || !slices.Contains(ing.Spec.TLS[0].Hosts, p.Host) || ing.Spec.TLS[0].SecretName != "" {
		t.Errorf("Ingress TLS %+v, want the host and no Secret", ing.Spec.TLS)
	}
	if !strings.Contains(ing.Metadata.Annotations["traefik.ingress.kubernetes.io/router.entrypoints"], "websecure") {
		t.Errorf("Ingress annotations %v lack the websecure entrypoint", ing.Metadata.Annotations)
	}
}

// replicaSets names the Deployment's ReplicaSets with their pod-template hashes.
func (p *project) replicaSets(t *testing.T) string {
	t.Helper()
	out := p.Kubectl(t, "-n", p.Namespace, "get", "replicasets", "-o",
		"jsonpath={range .items[*]}{.metadata.name}={.spec.replicas} {end}")
	return strings.TrimSpace(string(out))
}

// smoke runs the real smoke checks through Traefik to the stack's pods, and checks that the pods
// run the given revision (the app reports its commit on /capabilities).
func (p *project) smoke(t *testing.T, apiKey, revision string) {
	t.Helper()
	c, err := smoke.New(smoke.Options{
		BaseURL: p.output(t, "url"), APIKey: apiKey,
		ConnectTo: p.Env.Ingress.ConnectTo, CAFile: p.Env.Ingress.CAFile,
	})
	if err != nil {
		t.Fatal(err)
	}
	rs, _ := c.RunUntil(context.Background(), 2*time.Minute, 2*time.Second)
	if smoke.Failed(rs) > 0 {
		var b strings.Builder
		smoke.Write(&b, rs)
		t.Fatalf("smoke checks failed:\n%s", b.String())
	}
	// Old pods finish their requests after SIGTERM and may still answer for a while: wait until
	// ten answers in a row come from the revision.
	want := p.commit(t, revision)
	deadline := time.Now().Add(time.Minute)
	for streak := 0; streak < 10; {
		var caps struct {
			Revision string `json:"revision"`
		}
		p.getJSON(t, "/capabilities", "", &caps)
		switch {
		case caps.Revision == want:
			streak++
		case time.Now().After(deadline):
			t.Fatalf("the pods serve revision %q, want %s (%s)", caps.Revision, want, revision)
		default:
			streak = 0
			time.Sleep(200 * time.Millisecond)
		}
	}
}

// getJSON GETs path of the stack's URL through Traefik and decodes the JSON answer.
func (p *project) getJSON(t *testing.T, path, apiKey string, v any) {
	t.Helper()
	client, err := p.Env.Ingress.Client()
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest(http.MethodGet, p.output(t, "url")+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if apiKey != "" {
		req.Header.Set("Authorization", "Bearer "+apiKey)
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s = %d", path, resp.StatusCode)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
}

// writeHub adds a row to the app's hubs table, as the app role through pgpool. The statement is
// sent as one simple query: through the stand-in's pgpool (4.3.5, raw mode) an INSERT sent with
// the extended protocol (parameters) reports its row and is then lost.
func (p *project) writeHub(t *testing.T, name string) {
	t.Helper()
	db := p.appDB(t)
	defer db.Close()
	if _, err := db.Exec(`INSERT INTO hubs (name) VALUES (` + pq.QuoteLiteral(name) + `) ON CONFLICT (name) DO NOTHING`); err != nil {
		t.Fatalf("writing hub %q: %v", name, err)
	}
}

// assertHubServed checks that the API lists the hub name, read by the pods from the database.
func (p *project) assertHubServed(t *testing.T, apiKey, name string) {
	t.Helper()
	var hubs []map[string]any
	p.getJSON(t, "/api/v2/hubs", apiKey, &hubs)
	for _, h := range hubs {
		if h["name"] == name {
			return
		}
	}
	t.Errorf("GET /api/v2/hubs does not list %q: %v", name, hubs)
}

// assertMigrations checks schema_migrations against the migrations of revision's sources: the
// migration Job really ran them, and nothing else.
func (p *project) assertMigrations(t *testing.T, revision string) {
	t.Helper()
	want, err := p.Env.BuildHost.Migrations(revision)
	if err != nil {
		t.Fatalf("migrations of %s: %v", revision, err)
	}
	db := p.appDB(t)
	defer db.Close()
	rows, err := db.Query(`SELECT revision FROM schema_migrations ORDER BY revision`)
	if err != nil {
		t.Fatalf("reading schema_migrations: %v", err)
	}
	defer rows.Close()
	var got []int64
	for rows.Next() {
		var r int64
		if err := rows.Scan(&r); err != nil {
			t.Fatal(err)
		}
		got = append(got, r)
	}
	if !slices.Equal(got, want) {
		t.Errorf("schema_migrations = %v, want the migrations of %s: %v", got, revision, want)
	}
}

// tags lists the registry tags of this test's repository.
func (p *project) tags(t *testing.T) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	tags, err := p.Env.Registry.Tags(ctx, p.Repository)
	if err != nil {
		t.Fatalf("registry tags: %v", err)
	}
	return tags
}

// commit resolves a revision of the build host's origin to its commit.
func (p *project) commit(t *testing.T, revision string) string {
	t.Helper()
	c, err := p.Env.BuildHost.Commit(revision)
	if err != nil {
		t.Fatalf("resolving %s: %v", revision, err)
	}
	return c
}

// builds counts the image builds the build host's nix stand-in has run.
func (p *project) builds(t *testing.T) int {
	t.Helper()
	n, err := p.Env.BuildHost.BuildsIn(p.Checkout)
	if err != nil {
		t.Fatalf("counting builds: %v", err)
	}
	return n
}

// rollback runs the operator's rollback command to update n of the stack's history.
func (p *project) rollback(t *testing.T, n int) {
	t.Helper()
	bin := clirun.BuildProgram(t, "./cmd/interhub")
	ctx, cancel := context.WithTimeout(context.Background(), standin.UpTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "rollback", "--stack", p.Names.Stack, "--to", fmt.Sprint(n), "--yes")
	cmd.Dir = p.Dir
	cmd.Env = p.WS.Env
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("interhub rollback: %v\n%s", err, out)
	}
	t.Logf("interhub rollback:\n%s", out)
}
