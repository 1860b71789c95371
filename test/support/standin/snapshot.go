package standin

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"sort"
	"strings"
	"testing"
	"time"
)

// Snapshot is everything of a stack that a run could change, as comparable text: the cluster
// objects in its namespace (and its volumes), its PostgreSQL role and database and whether the
// app can log in with the password its Secret holds, its pool_passwd entry, the tags in its
// registry repository, and its Pulumi state. Secret values appear only as SHA-256 digests, so a
// diff never prints one.
type Snapshot map[string]string

// namespaced are the kinds a deployment can create in its namespace (events and leases are
// left out: they change by themselves).
const namespaced = "configmaps,secrets,serviceaccounts,services,persistentvolumeclaims,pods," +
	"deployments.apps,replicasets.apps,statefulsets.apps,daemonsets.apps,jobs.batch,cronjobs.batch," +
	"ingresses.networking.k8s.io,networkpolicies.networking.k8s.io,roles.rbac.authorization.k8s.io," +
	"rolebindings.rbac.authorization.k8s.io,poddisruptionbudgets.policy"

// Snapshot reads the stack's current state from every real system.
func (s *Stack) Snapshot(t testing.TB) Snapshot {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	snap := Snapshot{}
	s.snapCluster(t, ctx, snap)
	s.snapPostgres(t, ctx, snap)
	tags, err := s.Tags(ctx)
	if err != nil {
		t.Fatalf("snapshot: %v", err)
	}
	for tag, digest := range tags {
		snap["registry/"+s.Repository+":"+tag] = digest
	}
	snap["pulumi/state"] = s.normalizedState(t)
	return snap
}

func (s *Stack) snapCluster(t testing.TB, ctx context.Context, snap Snapshot) {
	t.Helper()
	var list struct {
		Items []map[string]any `json:"items"`
	}
	out, err := s.Env.Kubectl(ctx, nil, "get", "namespace", s.Namespace, "--ignore-not-found", "-o", "json")
	if err != nil {
		t.Fatalf("snapshot: %v", err)
	}
	if len(strings.TrimSpace(string(out))) > 0 {
		var ns map[string]any
		if err := json.Unmarshal(out, &ns); err != nil {
			t.Fatalf("snapshot: namespace: %v", err)
		}
		snap["cluster/Namespace/"+s.Namespace] = normalizeObject(ns)
	}
	out, err = s.Env.Kubectl(ctx, nil, "get", namespaced, "-n", s.Namespace, "-o", "json")
	if err != nil {
		t.Fatalf("snapshot: %v", err)
	}
	if err := json.Unmarshal(out, &list); err != nil {
		t.Fatalf("snapshot: objects: %v", err)
	}
	for _, o := range list.Items {
		snap[objectKey(o)] = normalizeObject(o)
	}
	out, err = s.Env.Kubectl(ctx, nil, "get", "persistentvolumes", "-o", "json")
	if err != nil {
		t.Fatalf("snapshot: %v", err)
	}
	list.Items = nil
	if err := json.Unmarshal(out, &list); err != nil {
		t.Fatalf("snapshot: volumes: %v", err)
	}
	for _, o := range list.Items {
		if ref, _ := dig(o, "spec", "claimRef").(map[string]any); ref != nil && ref["namespace"] == s.Namespace {
			snap[objectKey(o)] = normalizeObject(o)
		}
	}
}

func objectKey(o map[string]any) string {
	meta, _ := o["metadata"].(map[string]any)
	if ns, ok := meta["namespace"].(string); ok {
		return fmt.Sprintf("cluster/%v/%s/%v", o["kind"], ns, meta["name"])
	}
	return fmt.Sprintf("cluster/%v/%v", o["kind"], meta["name"])
}

// normalizeObject drops what the apiserver changes on its own (resourceVersion, managed fields)
// and replaces Secret data with digests.
func normalizeObject(o map[string]any) string {
	if meta, ok := o["metadata"].(map[string]any); ok {
		delete(meta, "resourceVersion")
		delete(meta, "managedFields")
	}
	if o["kind"] == "Secret" {
		if data, ok := o["data"].(map[string]any); ok {
			for k, v := range data {
				data[k] = digest(fmt.Sprint(v))
			}
		}
	}
	b, _ := json.MarshalIndent(o, "", " ")
	return string(b)
}

func dig(o map[string]any, path ...string) any {
	var cur any = o
	for _, p := range path {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = m[p]
	}
	return cur
}

func digest(v string) string {
	return fmt.Sprintf("sha256:%x", sha256.Sum256([]byte(v)))
}

func (s *Stack) snapPostgres(t testing.TB, ctx context.Context, snap Snapshot) {
	t.Helper()
	db := s.AdminDB(t)
	rows := func(key, q string) {
		r, err := db.QueryContext(ctx, q, s.Role)
		if err != nil {
			t.Fatalf("snapshot: %s: %v", key, err)
		}
		defer r.Close()
		cols, _ := r.Columns()
		var lines []string
		for r.Next() {
			vals := make([]sql.NullString, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := r.Scan(ptrs...); err != nil {
				t.Fatalf("snapshot: %s: %v", key, err)
			}
			parts := make([]string, len(cols))
			for i, v := range vals {
				parts[i] = cols[i] + "=" + v.String
			}
			lines = append(lines, strings.Join(parts, " "))
		}
		if err := r.Err(); err != nil {
			t.Fatalf("snapshot: %s: %v", key, err)
		}
		sort.Strings(lines)
		snap["postgres/"+key] = strings.Join(lines, "\n")
	}
	rows("pg_roles", `SELECT rolname, rolsuper, rolinherit, rolcreaterole, rolcreatedb, rolcanlogin,
		rolreplication, rolconnlimit, rolvaliduntil, rolbypassrls, rolconfig
		FROM pg_roles WHERE rolname = $1 OR rolname LIKE $1 || '\_%'`)
	rows("pg_database", `SELECT datname, pg_get_userbyid(datdba) AS owner, datconnlimit, datallowconn
		FROM pg_database WHERE datname = $1 OR datname LIKE $1 || '\_%'`)
	rows("pg_auth_members", `SELECT r.rolname AS role, m.rolname AS member FROM pg_auth_members a
		JOIN pg_roles r ON r.oid = a.roleid JOIN pg_roles m ON m.oid = a.member
		WHERE r.rolname = $1 OR m.rolname = $1`)

	data, err := os.ReadFile(s.Env.Postgres.PoolPasswd)
	if err != nil {
		t.Fatalf("snapshot: %v", err)
	}
	var entries []string
	for _, line := range strings.Split(string(data), "\n") {
		if user, _, ok := strings.Cut(line, ":"); ok && user == s.Role {
			entries = append(entries, digest(line))
		}
	}
	snap["pgpool/pool_passwd/"+s.Role] = strings.Join(entries, "\n")

	// Whether the app can log in, through pgpool and directly, with what its Secret says: a
	// password changed in one place but not the others shows up here.
	if u, ok := s.AppDatabaseURL(t); ok {
		snap["postgres/app-login"] = s.loginCheck(ctx, u)
	}
}

// AppDatabaseURL reads DATABASE_URL from the app Secret in the stack's namespace.
func (s *Stack) AppDatabaseURL(t testing.TB) (*url.URL, bool) {
	t.Helper()
	values, ok := s.AppSecret(t)
	if !ok || values["DATABASE_URL"] == "" {
		return nil, false
	}
	u, err := url.Parse(values["DATABASE_URL"])
	if err != nil {
		t.Fatalf("DATABASE_URL in the app Secret does not parse")
	}
	return u, true
}

// AppSecret returns the decoded data of the app Secret (<release>-env), if it exists.
func (s *Stack) AppSecret(t testing.TB) (map[string]string, bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out, err := s.Env.Kubectl(ctx, nil, "get", "secret", "-n", s.Namespace, "inter-hub-env", "--ignore-not-found", "-o", "json")
	if err != nil {
		t.Fatal(err)
	}
	if len(strings.TrimSpace(string(out))) == 0 {
		return nil, false
	}
	var sec struct {
		Data map[string]string `json:"data"`
	}
	if err := json.Unmarshal(out, &sec); err != nil {
		t.Fatal(err)
	}
	values := map[string]string{}
	for k, v := range sec.Data {
		b, err := base64.StdEncoding.DecodeString(v)
		if err != nil {
			t.Fatalf("app Secret key %s: %v", k, err)
		}
		values[k] = string(b)
	}
	return values, true
}

func (s *Stack) loginCheck(ctx context.Context, u *url.URL) string {
	pass, _ := u.User.Password()
	user := u.User.Username()
	dbname := strings.TrimPrefix(u.Path, "/")
	p := s.Env.Postgres
	var results []string
	for _, c := range []struct{ name, dsn string }{
		{"pgpool", p.PgpoolDSN(user, pass, dbname)},
		{"direct", p.DirectDSN(user, pass, dbname)},
	} {
		db, err := sql.Open("postgres", c.dsn)
		if err == nil {
			err = db.PingContext(ctx)
			db.Close()
		}
		if err != nil {
			results = append(results, c.name+": failed: "+err.Error())
		} else {
			results = append(results, c.name+": ok")
		}
	}
	return strings.Join(results, "\n")
}

// Tags lists the tags of the stack's registry repository with their digests (none when the
// repository does not exist).
func (s *Stack) Tags(ctx context.Context) (map[string]string, error) {
	r := s.Env.Registry
	c, err := r.HTTPClient()
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, fmt.Sprintf("https://%s/v2/%s/tags/list", r.Host, s.Repository), nil)
	if err != nil {
		return nil, err
	}
	req.SetBasicAuth(r.User, r.Password)
	resp, err := c.Do(req)
	if err != nil {
		return nil, fmt.Errorf("registry tags: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusNotFound {
		return map[string]string{}, nil
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("registry tags of %s: %s", s.Repository, resp.Status)
	}
	var list struct {
		Tags []string `json:"tags"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&list); err != nil {
		return nil, fmt.Errorf("registry tags of %s: %w", s.Repository, err)
	}
	tags := map[string]string{}
	for _, tag := range list.Tags {
		d, err := r.Digest(ctx, s.Repository, tag)
		if err != nil {
			return nil, err
		}
		tags[tag] = d
	}
	return tags, nil
}

// normalizedState is the stack's state as `pulumi stack export --show-secrets` has it, with
// every secret value replaced by its digest (ciphertexts change on every write, values do not)
// and without what changes on every run although nothing changed: the checkpoint's time, the
// CLI version, per-resource timestamps and the order of dependency lists.
func (s *Stack) normalizedState(t testing.TB) string {
	t.Helper()
	// Not recorded in the transcript: its values never leave this function in plain text.
	r := s.WS.Run(t, ShortTimeout, "stack", "export", "--show-secrets", "--stack", s.Stack)
	if r.Err != nil {
		t.Fatalf("pulumi stack export: %v\n%s", r.Err, r.Stderr)
	}
	var doc map[string]any
	if err := json.Unmarshal([]byte(r.Stdout), &doc); err != nil {
		t.Fatalf("stack export: %v", err)
	}
	doc = hideSecrets(doc).(map[string]any)
	dep, _ := doc["deployment"].(map[string]any)
	if m, ok := dep["manifest"].(map[string]any); ok {
		delete(m, "time")
		delete(m, "version")
		delete(m, "plugins")
	}
	if rs, ok := dep["resources"].([]any); ok {
		// Any dependency order is as good as another: compare by URN.
		sort.SliceStable(rs, func(i, j int) bool { return resourceKey(rs[i]) < resourceKey(rs[j]) })
		for _, r := range rs {
			if m, ok := r.(map[string]any); ok {
				delete(m, "created")
				delete(m, "modified")
				sortStrings(m["dependencies"])
				if pd, ok := m["propertyDependencies"].(map[string]any); ok {
					for _, deps := range pd {
						sortStrings(deps)
					}
				}
			}
		}
	}
	b, _ := json.MarshalIndent(doc, "", " ")
	return string(b)
}

// secretSig marks a secret value in Pulumi's serialised state.
const secretSig = "1b47061264138c4ac30d75fd1eb44270"

// hideSecrets replaces the plaintext of every secret value with its digest.
func hideSecrets(v any) any {
	switch x := v.(type) {
	case map[string]any:
		if x["4dabf18193072939515e22adb298388d"] == secretSig {
			if p, ok := x["plaintext"].(string); ok {
				return map[string]any{"secret": digest(p)}
			}
			if c, ok := x["ciphertext"].(string); ok {
				return map[string]any{"secret-ciphertext": digest(c)}
			}
		}
		for k, e := range x {
			x[k] = hideSecrets(e)
		}
	case []any:
		for i, e := range x {
			x[i] = hideSecrets(e)
		}
	}
	return v
}

// resourceKey orders state resources: URN, then whether it is a resource pending deletion.
func resourceKey(r any) string {
	m, _ := r.(map[string]any)
	return fmt.Sprintf("%v %v", m["urn"], m["delete"])
}

func sortStrings(v any) {
	list, ok := v.([]any)
	if !ok {
		return
	}
	sort.SliceStable(list, func(i, j int) bool { return fmt.Sprint(list[i]) < fmt.Sprint(list[j]) })
}

// Diff describes how b differs from a, one entry per changed item ("" when equal).
func (a Snapshot) Diff(b Snapshot) string {
	keys := map[string]bool{}
	for k := range a {
		keys[k] = true
	}
	for k := range b {
		keys[k] = true
	}
	var sorted []string
	for k := range keys {
		sorted = append(sorted, k)
	}
	sort.Strings(sorted)
	var out []string
	for _, k := range sorted {
		va, ina := a[k]
		vb, inb := b[k]
		switch {
		case !ina:
			out = append(out, "+ "+k+" appeared")
		case !inb:
			out = append(out, "- "+k+" disappeared")
		case va != vb:
			out = append(out, "~ "+k+" changed:\n"+lineDiff(va, vb))
		}
	}
	return strings.Join(out, "\n")
}

// lineDiff shows the lines only in one of a and b (enough to see what changed).
func lineDiff(a, b string) string {
	count := map[string]int{}
	for _, l := range strings.Split(a, "\n") {
		count[l]--
	}
	for _, l := range strings.Split(b, "\n") {
		count[l]++
	}
	var out []string
	for _, l := range strings.Split(a, "\n") {
		if count[l] < 0 {
			out = append(out, "    - "+clip(l))
		}
	}
	for _, l := range strings.Split(b, "\n") {
		if count[l] > 0 {
			out = append(out, "    + "+clip(l))
		}
	}
	if len(out) == 0 {
		return "    (the same lines in another order)"
	}
	if len(out) > 40 {
		out = append(out[:40], fmt.Sprintf("    ... %d more lines", len(out)-40))
	}
	return strings.Join(out, "\n")
}

func clip(s string) string {
	if len(s) > 200 {
		return s[:200] + "..."
	}
	return s
}
