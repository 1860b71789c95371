//go:build integration

package hardening_test

import (
	"encoding/base64"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/lib/pq"

	"github.com/coulomb-social/inter-hub-deploy/test/support/standin"
)

// TestLeastPrivilege deploys the stack with a SOPS file of its own and checks what the app can
// do and where its secrets are.
func TestLeastPrivilege(t *testing.T) {
	s := standin.New(t, standin.Options{Names: standin.NamesFor("hard", "priv")})
	sopsValues := map[string]string{
		"INTERHUB_API_KEY": "api-" + randomHex(t, 16),
		"MAIL_PASSWORD":    "mail-" + randomHex(t, 16),
	}
	var plain strings.Builder
	for k, v := range sopsValues {
		plain.WriteString(k + ": " + v + "\n")
	}
	s.SetConfig(t, s.ConfigFile, map[string]string{"secrets.sopsFile": sopsEncrypt(t, s, localRecipient(t, s), plain.String())})
	s.Up(t)

	t.Run("app-role-cannot-create-roles-or-databases", func(t *testing.T) {
		record(t, "least privilege", "the app role, logged in through pgpool, is refused CREATE ROLE, CREATE DATABASE and granting itself CREATEDB; it is no superuser and a member of no role")
		db := appDB(t, s)
		// Should the role be able to (a regression), what it made must not outlive the test.
		t.Cleanup(func() {
			admin := s.AdminDB(t)
			for _, q := range []string{
				`REVOKE "` + s.Env.Postgres.AdminUser + `" FROM "` + s.Role + `"`,
				`GRANT "` + s.Role + `" TO "` + s.Env.Postgres.AdminUser + `"`,
				`DROP DATABASE IF EXISTS hardening_escalation WITH (FORCE)`,
				`DROP ROLE IF EXISTS hardening_escalation`,
				`DROP ROLE IF EXISTS hardening_escalation2`,
			} {
				_, _ = admin.Exec(q)
			}
		})
		for stmt, want := range map[string]string{
			`CREATE ROLE hardening_escalation LOGIN`:                   "permission denied to create role",
			`CREATE DATABASE hardening_escalation`:                     "permission denied to create database",
			`ALTER ROLE CURRENT_USER CREATEDB`:                         "permission denied",
			`ALTER ROLE CURRENT_USER CREATEROLE`:                       "permission denied",
			`GRANT "` + s.Env.Postgres.AdminUser + `" TO CURRENT_USER`: "must have admin option on role",
			`CREATE ROLE hardening_escalation2 SUPERUSER`:              "must be superuser to create superusers",
		} {
			_, err := db.Exec(stmt)
			var pqErr *pq.Error
			switch {
			case err == nil:
				t.Errorf("%s: allowed", stmt)
			case !asPQ(err, &pqErr) || pqErr.Code != "42501" || !strings.Contains(err.Error(), want):
				t.Errorf("%s: %v, want SQLSTATE 42501 %q", stmt, err, want)
			}
		}
		var user string
		var super, createRole, createDB bool
		var memberships int
		err := db.QueryRow(`SELECT current_user, rolsuper, rolcreaterole, rolcreatedb,
			(SELECT count(*) FROM pg_auth_members m WHERE m.member = r.oid)
			FROM pg_roles r WHERE rolname = current_user`).Scan(&user, &super, &createRole, &createDB, &memberships)
		if err != nil {
			t.Fatal(err)
		}
		if user != s.Role || super || createRole || createDB || memberships != 0 {
			t.Errorf("app role %s: superuser %v, createrole %v, createdb %v, member of %d roles", user, super, createRole, createDB, memberships)
		}
		var leaked int
		if err := s.AdminDB(t).QueryRow(`SELECT count(*) FROM pg_roles WHERE rolname LIKE 'hardening_escalation%'`).Scan(&leaked); err != nil || leaked != 0 {
			t.Errorf("roles created by the app: %d (%v)", leaked, err)
		}
	})

	t.Run("app-secrets-only-in-the-app-secret", func(t *testing.T) {
		record(t, "least privilege", "the app's secrets occur in exactly one object of the cluster (its namespace's Secret inter-hub-env); the platform credentials in none (Secrets, ConfigMaps, pod specs, workloads and Helm records of all namespaces)")
		values, ok := s.AppSecret(t)
		if !ok {
			t.Fatal("no app Secret")
		}
		app := secretSet{}
		for k, v := range sopsValues {
			app.add("SOPS value "+k, v)
		}
		u, _ := s.AppDatabaseURL(t)
		pass, _ := u.User.Password()
		app.add("database password", pass)
		app.add("session secret", values["IHP_SESSION_SECRET"])
		platform := secretSet{}
		platform.add("registry password", s.Env.Registry.Password)
		platform.add("admin password", s.Env.Postgres.AdminPassword)
		keyLines(t, platform, "SSH private key", readText(t, s.Env.BuildHost.PrivateKeyFixture))

		objects := clusterObjects(t, s)
		if len(objects) < 20 {
			t.Fatalf("only %d objects read from the cluster", len(objects))
		}
		wantHome := "Secret " + s.Namespace + "/inter-hub-env"
		found := map[string][]string{} // secret -> objects holding it
		for name, text := range objects {
			for _, secret := range app.find(text) {
				found[secret] = append(found[secret], name)
			}
			if leaked := platform.find(text); len(leaked) > 0 {
				t.Errorf("%s holds %s", name, strings.Join(leaked, ", "))
			}
		}
		for secret := range app {
			where := found[secret]
			sort.Strings(where)
			switch {
			case strings.HasSuffix(secret, " (base64)"):
				// Encoded on its own, a value may only be in its Secret's data.
				if len(where) > 1 || (len(where) == 1 && where[0] != wantHome) {
					t.Errorf("the %s is in %v, want nowhere but %s", secret, where, wantHome)
				}
			case len(where) != 1 || where[0] != wantHome:
				t.Errorf("the %s is in %v, want only %s", secret, where, wantHome)
			}
		}
		t.Logf("searched %d objects of all namespaces for %d app and %d platform secrets", len(objects), len(app), len(platform))
	})

	t.Run("no-host-key-bypass-in-the-repository", func(t *testing.T) {
		record(t, "least privilege", "no file of the repository (tests included, tracked or not) turns SSH host key checking off; the search finds a planted one")
		if hits := hostKeyBypasses(t, s.Root); len(hits) > 0 {
			t.Errorf("host key checking turned off:\n%s", strings.Join(hits, "\n"))
		}
		// Control: the same search finds each form in a scratch repository.
		dir := t.TempDir()
		git := func(args ...string) {
			cmd := exec.Command("git", args...)
			cmd.Dir = dir
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("git %v: %v\n%s", args, err, out)
			}
		}
		git("init", "-q")
		planted := map[string]string{
			"a.sh":  "ssh -o " + "StrictHostKeyChecking" + "=no host true\n",
			"b.cfg": "Host *\n  " + "StrictHostKeyChecking" + " off\n",
			"c.go":  "cfg.HostKeyCallback = ssh." + "Insecure" + "IgnoreHostKey()\n",
		}
		for name, content := range planted {
			if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		git("add", "a.sh")
		if hits := hostKeyBypasses(t, dir); len(hits) != len(planted) {
			t.Errorf("control: the search found %d of %d planted bypasses (tracked and untracked): %v", len(hits), len(planted), hits)
		}
	})
}

// hostKeyBypasses greps the repository's tracked and untracked (not ignored) files for options
// that turn host key checking off. The patterns are assembled here so that this file does not
// match them itself.
func hostKeyBypasses(t *testing.T, repo string) []string {
	t.Helper()
	pattern := "Strict" + "HostKeyChecking[[:space:]=\"']+(no|off)\\b|Insecure" + "IgnoreHostKey"
	cmd := exec.Command("git", "grep", "--untracked", "-n", "-I", "-i", "-E", pattern)
	cmd.Dir = repo
	out, err := cmd.Output()
	if err != nil {
		if ee, ok := err.(*exec.ExitError); ok && ee.ExitCode() == 1 {
			return nil // no match
		}
		t.Fatalf("git grep in %s: %v", repo, err)
	}
	return strings.Split(strings.TrimSpace(string(out)), "\n")
}

// clusterObjects reads every Secret, ConfigMap, pod and workload of all namespaces, as JSON
// text with Secret data decoded and Helm's release records unpacked: object name -> text.
func clusterObjects(t *testing.T, s *standin.Stack) map[string]string {
	t.Helper()
	var list struct {
		Items []map[string]any `json:"items"`
	}
	out := s.Kubectl(t, "get", "secrets,configmaps,pods,deployments,replicasets,statefulsets,daemonsets,jobs,cronjobs,serviceaccounts,ingresses", "-A", "-o", "json")
	if err := json.Unmarshal(out, &list); err != nil {
		t.Fatal(err)
	}
	objects := map[string]string{}
	for _, o := range list.Items {
		meta, _ := o["metadata"].(map[string]any)
		name := o["kind"].(string) + " " + meta["namespace"].(string) + "/" + meta["name"].(string)
		raw, _ := json.Marshal(o)
		text := string(raw)
		if data, ok := o["data"].(map[string]any); ok && o["kind"] == "Secret" {
			for k, v := range data {
				b, err := base64.StdEncoding.DecodeString(v.(string))
				if err != nil {
					t.Fatalf("%s key %s: %v", name, k, err)
				}
				text += "\n" + string(b)
			}
		}
		objects[name] = text
	}
	for name, text := range helmReleases(t, s) {
		objects["Secret "+s.Namespace+"/"+name] += "\n" + text
	}
	return objects
}

func asPQ(err error, target **pq.Error) bool {
	e, ok := err.(*pq.Error)
	if ok {
		*target = e
	}
	return ok
}
