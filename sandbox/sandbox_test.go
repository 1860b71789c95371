//go:build integration

package sandbox_test

// Integration tests of the local stand-in environment: they run against what `make sandbox-up`
// started, and are skipped when it is not up (failed instead under INTERHUB_REQUIRE_SANDBOX=1).

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	_ "github.com/lib/pq"
	"golang.org/x/crypto/ssh"

	"github.com/coulomb-social/inter-hub-deploy/sandbox/sandboxenv"
	"github.com/coulomb-social/inter-hub-deploy/test/support/standin"
)

func suffix(t *testing.T) string {
	t.Helper()
	b := make([]byte, 4)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// eventually polls check until it reports done, failing with its last detail after timeout.
func eventually(t *testing.T, timeout time.Duration, what string, check func() (bool, string, error)) {
	t.Helper()
	start := time.Now()
	deadline := start.Add(timeout)
	var detail string
	for {
		done, d, err := check()
		if err != nil {
			d = err.Error()
		}
		if done {
			t.Logf("%s: after %.1f s", what, time.Since(start).Seconds())
			return
		}
		detail = d
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s; last state: %s", timeout, what, detail)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func kubectlJSON(ctx context.Context, env *sandboxenv.Env, v any, args ...string) error {
	out, err := env.Kubectl(ctx, nil, append(args, "-o", "json")...)
	if err != nil {
		return err
	}
	return json.Unmarshal(out, v)
}

// workloads runs busybox's httpd (the image the stand-in packs for the local-path helper) on a
// local-path volume behind a Service and an Ingress, and a Job, all pulled with credentials.
const workloads = `
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: data}
spec:
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: 1Gi}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      imagePullSecrets: [{name: pull}]
      terminationGracePeriodSeconds: 2
      initContainers:
      - name: page
        image: @IMAGE@
        command: [sh, -c, 'echo "served by $POD_NAME" > /data/index.html']
        env: [{name: POD_NAME, valueFrom: {fieldRef: {fieldPath: metadata.name}}}]
        volumeMounts: [{name: data, mountPath: /data}]
      containers:
      - name: web
        image: @IMAGE@
        command: [httpd, -f, -p, "8000", -h, /data]
        ports: [{name: http, containerPort: 8000}]
        readinessProbe: {httpGet: {path: /index.html, port: http}, periodSeconds: 1}
        volumeMounts: [{name: data, mountPath: /data}]
      volumes:
      - name: data
        persistentVolumeClaim: {claimName: data}
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{name: http, port: 80, targetPort: http}]
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: web}
spec:
  ingressClassName: traefik
  rules:
  - host: web-sandbox.localhost
    http:
      paths:
      - path: /
        pathType: Prefix
        backend: {service: {name: web, port: {name: http}}}
---
apiVersion: batch/v1
kind: Job
metadata: {name: migrate}
spec:
  backoffLimit: 0
  template:
    spec:
      imagePullSecrets: [{name: pull}]
      restartPolicy: Never
      containers:
      - name: migrate
        image: @IMAGE@
        command: [sh, -c, 'test -s /var/run/secrets/kubernetes.io/serviceaccount/token && echo migrated']
`

func TestKubernetesWorkloadsBecomeReady(t *testing.T) {
	env := standin.Require(t)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()

	var version struct {
		ServerVersion struct{ GitVersion string } `json:"serverVersion"`
	}
	if err := kubectlJSON(ctx, env, &version, "version"); err != nil {
		t.Fatal(err)
	}
	if version.ServerVersion.GitVersion != "v1.36.3" {
		t.Errorf("server version %q, want v1.36.3 (Helm and Pulumi parse it)", version.ServerVersion.GitVersion)
	}

	var ic struct {
		Metadata struct{ Annotations map[string]string }
		Spec     struct{ Controller string }
	}
	if err := kubectlJSON(ctx, env, &ic, "get", "ingressclass", env.Kubernetes.IngressClass); err != nil {
		t.Fatal(err)
	}
	if ic.Spec.Controller != "traefik.io/ingress-controller" {
		t.Errorf("IngressClass traefik has controller %q", ic.Spec.Controller)
	}
	var traefik struct {
		Status struct{ AvailableReplicas int } `json:"status"`
	}
	if err := kubectlJSON(ctx, env, &traefik, "-n", "kube-system", "get", "deployment", "traefik"); err != nil {
		t.Fatal(err)
	}
	if traefik.Status.AvailableReplicas != 1 {
		t.Errorf("kube-system/traefik has %d available replicas, want 1", traefik.Status.AvailableReplicas)
	}

	ns := "sandbox-test-" + suffix(t)
	if _, err := env.Kubectl(ctx, nil, "create", "namespace", ns); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cctx, ccancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer ccancel()
		start := time.Now()
		if _, err := env.Kubectl(cctx, nil, "delete", "namespace", ns, "--wait=true", "--timeout=90s"); err != nil {
			t.Errorf("cleanup: %v", err)
		}
		t.Logf("namespace %s deleted in %.1f s", ns, time.Since(start).Seconds())
	})
	// Pods need the namespace's default ServiceAccount, which the controller manager creates.
	eventually(t, 30*time.Second, "the default ServiceAccount", func() (bool, string, error) {
		_, err := env.Kubectl(ctx, nil, "-n", ns, "get", "serviceaccount", "default")
		return err == nil, "", err
	})
	image := env.Registry.Images["busybox"]
	if image == "" {
		t.Fatal("env.json names no busybox image (registry.images.busybox); restart the sandbox with make sandbox-up")
	}
	if err := env.PullSecret(ctx, ns, "pull"); err != nil {
		t.Fatal(err)
	}
	if _, err := env.Kubectl(ctx, strings.NewReader(strings.ReplaceAll(workloads, "@IMAGE@", image)), "-n", ns, "apply", "-f", "-"); err != nil {
		t.Fatal(err)
	}

	eventually(t, 60*time.Second, "deployment web to have 2 available replicas", func() (bool, string, error) {
		var d struct {
			Status struct {
				AvailableReplicas int
				Conditions        []struct{ Type, Status string }
			}
		}
		if err := kubectlJSON(ctx, env, &d, "-n", ns, "get", "deployment", "web"); err != nil {
			return false, "", err
		}
		available := false
		for _, c := range d.Status.Conditions {
			available = available || (c.Type == "Available" && c.Status == "True")
		}
		return available && d.Status.AvailableReplicas == 2, fmt.Sprintf("%+v", d.Status), nil
	})
	eventually(t, 30*time.Second, "endpoints of service web to hold both pods", func() (bool, string, error) {
		var slices struct {
			Items []struct {
				Endpoints []struct {
					Addresses  []string
					Conditions struct{ Ready *bool }
				}
			}
		}
		if err := kubectlJSON(ctx, env, &slices, "-n", ns, "get", "endpointslices", "-l", "kubernetes.io/service-name=web"); err != nil {
			return false, "", err
		}
		ready := 0
		for _, s := range slices.Items {
			for _, e := range s.Endpoints {
				if len(e.Addresses) > 0 && e.Conditions.Ready != nil && *e.Conditions.Ready {
					ready++
				}
			}
		}
		return ready == 2, fmt.Sprintf("%d ready endpoints", ready), nil
	})
	eventually(t, 30*time.Second, "PVC data to be Bound", func() (bool, string, error) {
		var pvc struct {
			Spec   struct{ StorageClassName, VolumeName string }
			Status struct{ Phase string }
		}
		if err := kubectlJSON(ctx, env, &pvc, "-n", ns, "get", "pvc", "data"); err != nil {
			return false, "", err
		}
		if pvc.Spec.StorageClassName != env.Kubernetes.StorageClass {
			return false, "", fmt.Errorf("PVC got storage class %q, want the default %q", pvc.Spec.StorageClassName, env.Kubernetes.StorageClass)
		}
		return pvc.Status.Phase == "Bound" && pvc.Spec.VolumeName != "", pvc.Status.Phase, nil
	})
	eventually(t, 30*time.Second, "ingress web to get a load-balancer address", func() (bool, string, error) {
		var ing struct {
			Status struct {
				LoadBalancer struct{ Ingress []struct{ IP string } }
			}
		}
		if err := kubectlJSON(ctx, env, &ing, "-n", ns, "get", "ingress", "web"); err != nil {
			return false, "", err
		}
		lb := ing.Status.LoadBalancer.Ingress
		return len(lb) == 1 && lb[0].IP == env.Kubernetes.IngressIP, fmt.Sprintf("%+v", lb), nil
	})
	// Traefik routes the Ingress to the pods' bridge addresses, over TLS with its default certificate.
	client, err := env.Ingress.Client()
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, 30*time.Second, "Traefik to serve web-sandbox.localhost from a pod", func() (bool, string, error) {
		resp, err := client.Get(env.Ingress.URLFor("web-sandbox.localhost") + "/index.html")
		if err != nil {
			return false, "", err
		}
		defer resp.Body.Close()
		var b bytes.Buffer
		_, _ = b.ReadFrom(resp.Body)
		return resp.StatusCode == http.StatusOK && strings.HasPrefix(b.String(), "served by web-"),
			fmt.Sprintf("%d %q", resp.StatusCode, b.String()), nil
	})
	eventually(t, 60*time.Second, "job migrate to succeed (as Helm hook Jobs must)", func() (bool, string, error) {
		var job struct {
			Status struct{ Succeeded, Failed int }
		}
		if err := kubectlJSON(ctx, env, &job, "-n", ns, "get", "job", "migrate"); err != nil {
			return false, "", err
		}
		if job.Status.Failed > 0 {
			return false, "", errors.New("job migrate failed")
		}
		return job.Status.Succeeded == 1, fmt.Sprintf("%+v", job.Status), nil
	})
}

func TestPostgresThroughPgpool(t *testing.T) {
	env := standin.Require(t)
	pg := env.Postgres
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	admin, err := sql.Open("postgres", pg.AdminDSN())
	if err != nil {
		t.Fatal(err)
	}
	// Registered first, so it runs after the cleanups below that still use the connection.
	t.Cleanup(func() { admin.Close() })
	var user string
	var super, createRole, createDB bool
	err = admin.QueryRowContext(ctx, `SELECT current_user, rolsuper, rolcreaterole, rolcreatedb
		FROM pg_roles WHERE rolname = current_user`).Scan(&user, &super, &createRole, &createDB)
	if err != nil {
		t.Fatalf("admin through pgpool: %v", err)
	}
	if user != pg.AdminUser || super || !createRole || !createDB {
		t.Fatalf("admin role %s: superuser=%v createrole=%v createdb=%v; want a CREATEROLE CREATEDB non-superuser", user, super, createRole, createDB)
	}
	// SHOW POOL_VERSION is answered by pgpool itself: the connection did go through it.
	var poolVersion string
	if err := admin.QueryRowContext(ctx, "SHOW POOL_VERSION").Scan(&poolVersion); err != nil {
		t.Fatalf("SHOW POOL_VERSION: %v", err)
	}
	t.Logf("pgpool %s", poolVersion)

	// A new role logs in through pgpool once pool_passwd holds it (added with pg_enc), with no
	// pgpool restart: what the program does for its app role.
	pgpoolPID := readPID(t, env, "pgpool")
	role := "sandbox_test_" + suffix(t)
	password := "pw-" + suffix(t)
	if _, err := admin.ExecContext(ctx, fmt.Sprintf("CREATE ROLE %s LOGIN PASSWORD '%s'", role, password)); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		// Directly, not through pgpool, and WITH (FORCE): a backend of the role's database may
		// still be closing.
		direct, err := sql.Open("postgres", pg.DirectDSN(pg.AdminUser, pg.AdminPassword, pg.Database))
		if err != nil {
			t.Errorf("cleanup: %v", err)
			return
		}
		defer direct.Close()
		for _, q := range []string{"DROP DATABASE IF EXISTS " + role + " WITH (FORCE)", "DROP ROLE IF EXISTS " + role} {
			if _, err := direct.Exec(q); err != nil {
				t.Errorf("cleanup: %s: %v", q, err)
			}
		}
		if err := pg.RemovePoolUser(role); err != nil {
			t.Errorf("cleanup: %v", err)
		}
	})
	// On PG 15 a non-superuser admin must be a member of the owner to create its database.
	for _, q := range []string{
		fmt.Sprintf("GRANT %s TO %s", role, pg.AdminUser),
		fmt.Sprintf("CREATE DATABASE %s OWNER %s", role, role),
	} {
		if _, err := admin.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	if err := ping(ctx, pg.PgpoolDSN(role, password, role)); err == nil {
		t.Fatal("a role missing from pool_passwd logged in through pgpool; the stand-in would hide the step the program must do")
	} else {
		t.Logf("before pg_enc, as expected: %v", err)
	}
	if err := pg.AddPoolUser(ctx, role, password); err != nil {
		t.Fatal(err)
	}
	if err := ping(ctx, pg.PgpoolDSN(role, password, role)); err != nil {
		t.Fatalf("after pg_enc the new role cannot log in through pgpool: %v", err)
	}
	// Every pgpool child must see the new entry, and the old ones, also under concurrent logins.
	var wg sync.WaitGroup
	errs := make(chan error, 48)
	for i := 0; i < 48; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			dsn := pg.PgpoolDSN(role, password, role)
			if i%2 == 0 {
				dsn = pg.AdminDSN()
			}
			if err := ping(ctx, dsn); err != nil {
				errs <- err
			}
		}(i)
		if i%8 == 7 {
			wg.Wait()
		}
	}
	wg.Wait()
	close(errs)
	failed := 0
	for err := range errs {
		failed++
		t.Log(err)
	}
	if failed > 0 {
		t.Fatalf("%d of 48 logins through pgpool failed after pg_enc", failed)
	}
	if err := ping(ctx, pg.PgpoolDSN(role, "wrong-"+password, role)); err == nil {
		t.Fatal("a wrong password was accepted through pgpool")
	}
	if got := readPID(t, env, "pgpool"); got != pgpoolPID {
		t.Fatalf("pgpool restarted (pid %s -> %s)", pgpoolPID, got)
	}
}

func readPID(t *testing.T, env *sandboxenv.Env, name string) string {
	t.Helper()
	b, err := os.ReadFile(env.StateDir + "/run/" + name + ".pid")
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}

func ping(ctx context.Context, dsn string) error {
	db, err := sql.Open("postgres", dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	var one int
	return db.QueryRowContext(ctx, "SELECT 1").Scan(&one)
}

// run runs a bash script (fed on stdin) on the build host and returns its stdout, then its
// stderr.
func run(t *testing.T, c *ssh.Client, script string) (string, error) {
	t.Helper()
	s, err := c.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	s.Stdin = strings.NewReader(script)
	// Separate buffers: the session copies stdout and stderr from two goroutines.
	var stdout, stderr bytes.Buffer
	s.Stdout, s.Stderr = &stdout, &stderr
	err = s.Run("bash -s")
	return stdout.String() + stderr.String(), err
}

func TestBuildHostSSH(t *testing.T) {
	env := standin.Require(t)
	bh := env.BuildHost
	c, err := bh.Dial()
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	out, err := run(t, c, `set -e
for c in nix crane skopeo git gzip timeout sha256sum ghc; do command -v "$c" >/dev/null || { echo "missing $c"; exit 1; }; done
cd "$HOME/`+bh.Checkout+`"
git rev-parse --verify -q v1 >/dev/null && git rev-parse --verify -q v2 >/dev/null
echo "user=$(id -un) origin=$(git remote get-url origin)"
`)
	if err != nil {
		t.Fatalf("build host session: %v: %s", err, out)
	}
	if want := "user=" + bh.User + " origin=" + bh.Origin; !strings.Contains(out, want) {
		t.Fatalf("session said %q, want %q", out, want)
	}

	// Host key checking is on: a client pinning another key must be refused.
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	wrong, err := ssh.NewPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := bh.ClientConfigWithHostKey(wrong)
	if err != nil {
		t.Fatal(err)
	}
	if c2, err := ssh.Dial("tcp", bh.Addr(), cfg); err == nil {
		c2.Close()
		t.Fatal("connected although the pinned host key is wrong")
	} else if !strings.Contains(err.Error(), "host key mismatch") {
		t.Fatalf("wrong host key: want a host key mismatch, got %v", err)
	}
}

func TestImageBuildPushAndDigest(t *testing.T) {
	env := standin.Require(t)
	reg := env.Registry
	c, err := env.BuildHost.Dial()
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	repo := "sandbox-test/inter-hub-" + suffix(t)
	// The same steps as the program's remote build: build in a checkout, decompress, push with
	// credentials from a file (never on a command line), read the digest skopeo reports.
	script := fmt.Sprintf(`set -eu
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
git clone -q "$HOME/sandbox-haskelseed/origin.git" "$tmp/src"
cd "$tmp/src"
git checkout -q --detach v1
timeout 120 nix build .#docker
echo "store=$(readlink result)"
gzip -dc result >"$tmp/image.tar"
umask 077
printf '{"auths":{"%[1]s":{"auth":"%%s"}}}' "$(printf '%%s' '%[2]s:%[3]s' | base64 -w0)" >"$tmp/auth.json"
skopeo copy --quiet --dest-authfile "$tmp/auth.json" --digestfile "$tmp/digest" \
	"docker-archive:$tmp/image.tar" "docker://%[1]s/%[4]s:v1"
echo "digest=$(cat "$tmp/digest")"
if skopeo copy --quiet "docker-archive:$tmp/image.tar" "docker://%[1]s/%[4]s:anonymous" 2>"$tmp/anon.err"; then
	echo "anonymous=pushed"
else
	echo "anonymous=refused: $(tr '\n' ' ' <"$tmp/anon.err")"
fi
git checkout -q --detach %[5]s
if nix build .#docker 2>"$tmp/broken.err"; then echo "broken=built"; else echo "broken=failed: $(cat "$tmp/broken.err")"; fi
`, reg.Host, reg.User, reg.Password, repo, env.BuildHost.BrokenTag)
	out, err := run(t, c, script)
	if err != nil {
		t.Fatalf("remote build and push: %v\n%s", err, out)
	}
	vals := map[string]string{}
	for _, line := range strings.Split(out, "\n") {
		if k, v, ok := strings.Cut(line, "="); ok {
			vals[k] = v
		}
	}
	if !strings.HasPrefix(vals["store"], env.BuildHost.Store+"/") || !strings.HasSuffix(vals["store"], "-docker-image-inter-hub.tar.gz") {
		t.Errorf("result points to %q, want a file in %s", vals["store"], env.BuildHost.Store)
	}
	pushed := vals["digest"]
	if !strings.HasPrefix(pushed, "sha256:") {
		t.Fatalf("no digest from skopeo:\n%s", out)
	}
	t.Cleanup(func() {
		if err := reg.DeleteManifest(context.Background(), repo, pushed); err != nil {
			t.Errorf("cleanup: %v", err)
		}
	})
	got, err := reg.Digest(ctx, repo, "v1")
	if err != nil {
		t.Fatal(err)
	}
	if got != pushed {
		t.Fatalf("registry reports %s for %s:v1, skopeo pushed %s", got, repo, pushed)
	}

	if !strings.HasPrefix(vals["anonymous"], "refused") || !strings.Contains(vals["anonymous"], "authentication required") {
		t.Errorf("push without credentials: %q, want refused with 'authentication required'", vals["anonymous"])
	}
	if _, err := reg.Digest(ctx, repo, "anonymous"); err == nil {
		t.Error("the anonymous push left a tag behind")
	}
	if !strings.Contains(vals["broken"], "marked as broken") {
		t.Errorf("building %s: %q, want a failure saying it is marked as broken", env.BuildHost.BrokenTag, vals["broken"])
	}

	// The registry itself refuses to start an upload without credentials.
	hc, err := reg.HTTPClient()
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, "https://"+reg.Host+"/v2/"+repo+"/blobs/uploads/", nil)
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("anonymous upload: %s, want 401", resp.Status)
	}
}
