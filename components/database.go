package components

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net"
	"net/url"
	"strconv"

	"github.com/pulumi/pulumi-command/sdk/go/command/local"
	appsv1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/apps/v1"
	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	"github.com/pulumi/pulumi-postgresql/sdk/v3/go/postgresql"
	"github.com/pulumi/pulumi-random/sdk/v4/go/random"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/coulomb-social/inter-hub-deploy/internal/pgpoolusers"
)

// PgpoolMode says how a new role becomes able to log in through pgpool, which authenticates
// clients itself and so must know each role's password (pool_passwd).
type PgpoolMode string

const (
	// PgpoolBitnami: bitnami postgresql-ha rebuilds pool_passwd at start from the Secret named
	// by pgpool.customUsersSecret; the program merges its role into that Secret and restarts
	// pgpool.
	PgpoolBitnami PgpoolMode = "bitnami"
	// PgpoolPgEnc: pg_enc adds the AES-encrypted entry to a pool_passwd file reachable from where
	// Pulumi runs; a running pgpool reads the file's new content at once.
	PgpoolPgEnc PgpoolMode = "pgenc"
	// PgpoolNone: the endpoint is PostgreSQL itself.
	PgpoolNone PgpoolMode = "none"
)

// PgpoolArgs describes the pgpool step.
type PgpoolArgs struct {
	Mode PgpoolMode
	// Bitnami mode.
	UsersSecret, Namespace, Deployment string
	// PgEnc mode: paths as the command's working directory (the project directory) sees them.
	Conf, KeyFile string
}

// Endpoint is a PostgreSQL server as a client reaches it: the provider as the admin, the app
// (DATABASE_URL) as its role.
type Endpoint struct {
	Host    string
	Port    int
	SSLMode string
}

// DatabaseArgs configures the app's role and database.
type DatabaseArgs struct {
	RoleName, DatabaseName string
	// PasswordRotation is a keeper: changing it generates a new password.
	PasswordRotation int
	Pgpool           PgpoolArgs
	App              Endpoint
}

// Database is the app's PostgreSQL role and database, and the pgpool step that lets the role
// log in through pgpool.
type Database struct {
	pulumi.ResourceState

	RoleName     pulumi.StringOutput
	DatabaseName pulumi.StringOutput
	// URL is DATABASE_URL for the app (secret). It resolves only once the role, the database
	// and the pgpool step exist, so whatever consumes it waits for a usable login.
	URL pulumi.StringOutput
}

// passwordSpecials are the only non-alphanumeric characters in generated passwords: bitnami
// splits its user lists on ',', ';' and whitespace, pool_passwd lines on ':', and these need no
// escaping in a URL.
const passwordSpecials = "-_.~"

// NewDatabase creates the role and database (both protected and retained on delete: dropping
// them is a deliberate runbook step, never a side effect of destroy) and the pgpool step.
func NewDatabase(ctx *pulumi.Context, name string, args *DatabaseArgs, opts ...pulumi.ResourceOption) (*Database, error) {
	switch args.Pgpool.Mode {
	case PgpoolBitnami, PgpoolPgEnc, PgpoolNone:
	default:
		return nil, fmt.Errorf("database %s: unknown pgpool mode %q", name, args.Pgpool.Mode)
	}
	d := &Database{}
	if err := ctx.RegisterComponentResource("inter-hub:database:Database", name, d, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(d)
	keep := []pulumi.ResourceOption{parent, pulumi.Protect(true), pulumi.RetainOnDelete(true)}

	password, err := random.NewRandomPassword(ctx, name+"-password", &random.RandomPasswordArgs{
		Length:          pulumi.Int(32),
		Special:         pulumi.Bool(true),
		OverrideSpecial: pulumi.String(passwordSpecials),
		Keepers:         pulumi.StringMap{"rotation": pulumi.String(strconv.Itoa(args.PasswordRotation))},
	}, parent)
	if err != nil {
		return nil, fmt.Errorf("database password: %w", err)
	}

	role, err := postgresql.NewRole(ctx, name+"-role", &postgresql.RoleArgs{
		Name:           pulumi.String(args.RoleName),
		Login:          pulumi.Bool(true),
		Password:       password.Result,
		Superuser:      pulumi.Bool(false),
		CreateRole:     pulumi.Bool(false),
		CreateDatabase: pulumi.Bool(false),
	}, keep...)
	if err != nil {
		return nil, fmt.Errorf("role %s: %w", args.RoleName, err)
	}

	db, err := postgresql.NewDatabase(ctx, name+"-db", &postgresql.DatabaseArgs{
		Name:  pulumi.String(args.DatabaseName),
		Owner: role.Name,
	}, keep...)
	if err != nil {
		return nil, fmt.Errorf("database %s: %w", args.DatabaseName, err)
	}

	// ready resolves once the role can log in through the endpoint.
	var ready pulumi.IDOutput
	switch args.Pgpool.Mode {
	case PgpoolPgEnc:
		ready, err = pgEncStep(ctx, name, args.Pgpool, role, db, password, parent)
	case PgpoolBitnami:
		ready, err = bitnamiStep(ctx, name, args.Pgpool, role, db, password, parent)
	default:
		ready = role.ID()
	}
	if err != nil {
		return nil, err
	}

	d.RoleName = role.Name
	d.DatabaseName = db.Name
	d.URL = pulumi.ToSecret(pulumi.All(role.Name, password.Result, db.Name, ready).ApplyT(
		func(v []any) string {
			return databaseURL(v[0].(string), v[1].(string), v[2].(string), args.App)
		})).(pulumi.StringOutput)

	if err := ctx.RegisterResourceOutputs(d, pulumi.Map{
		"roleName":     d.RoleName,
		"databaseName": d.DatabaseName,
		"url":          d.URL,
	}); err != nil {
		return nil, err
	}
	return d, nil
}

// passwordDigest changes whenever the role's name or password does. A digest of a 32-character
// random password reveals nothing, and keeping it out of the secret store keeps the change
// visible in diffs.
func passwordDigest(role *postgresql.Role, password *random.RandomPassword) pulumi.StringOutput {
	return pulumi.Unsecret(pulumi.All(role.Name, password.Result).ApplyT(func(v []any) string {
		sum := sha256.Sum256([]byte(v[0].(string) + "\x00" + v[1].(string)))
		return hex.EncodeToString(sum[:])
	})).(pulumi.StringOutput)
}

func databaseURL(role, password, db string, e Endpoint) string {
	u := url.URL{
		Scheme:   "postgresql",
		User:     url.UserPassword(role, password),
		Host:     net.JoinHostPort(e.Host, strconv.Itoa(e.Port)),
		Path:     "/" + db,
		RawQuery: url.Values{"sslmode": {e.SSLMode}}.Encode(),
	}
	return u.String()
}

// pgEncStep adds the role to pool_passwd with pg_enc. The password goes in on stdin (never in
// arguments or environment), the command logs nothing, and it re-runs whenever the role's
// name or password changes. It runs after the database exists: pg_enc rewrites pool_passwd in
// place, and the admin's own logins through pgpool must not read it half written.
func pgEncStep(ctx *pulumi.Context, name string, p PgpoolArgs, role *postgresql.Role, db *postgresql.Database,
	password *random.RandomPassword, parent pulumi.ResourceOption) (pulumi.IDOutput, error) {
	cmd, err := local.NewCommand(ctx, name+"-pgpool-users", &local.CommandArgs{
		Create: pulumi.String(`pg_enc -m -f "$PGPOOL_CONF" -k "$PGPOOL_KEYFILE" -i /dev/stdin >/dev/null`),
		Environment: pulumi.StringMap{
			"PGPOOL_CONF":    pulumi.String(p.Conf),
			"PGPOOL_KEYFILE": pulumi.String(p.KeyFile),
		},
		Stdin:                  pulumi.Sprintf("%s:%s\n", role.Name, password.Result),
		Triggers:               pulumi.Array{role.Name, passwordDigest(role, password)},
		Logging:                local.LoggingNone,
		AddPreviousOutputInEnv: pulumi.Bool(false),
	}, parent, pulumi.DependsOn([]pulumi.Resource{role, db}))
	if err != nil {
		return pulumi.IDOutput{}, fmt.Errorf("pgpool users step: %w", err)
	}
	return cmd.ID(), nil
}

// bitnamiStep adds the role to the users Secret that postgresql-ha's pgpool reads at start, then
// restarts pgpool by changing an annotation of its pod template.
//
// The Secret is the platform's and lists every app's pgpool login in two parallel lists
// (usernames, passwords), so it is merged, never replaced: the program reads it and writes back
// both lists with only its own role's entry added or updated, by server-side apply under its own
// field manager, touching no other key of the Secret. The patch and the restart are retained on
// delete: relinquishing the lists would drop every app's entry, and the role they name is
// retained too. Two writers updating the lists at the same moment can still lose one update;
// the platform's own changes should go through the same read and merge.
func bitnamiStep(ctx *pulumi.Context, name string, p PgpoolArgs, role *postgresql.Role, db *postgresql.Database,
	password *random.RandomPassword, parent pulumi.ResourceOption) (pulumi.IDOutput, error) {
	secretName := p.Namespace + "/" + p.UsersSecret
	current, err := corev1.GetSecret(ctx, name+"-pgpool-users-current", pulumi.ID(secretName), nil,
		parent, pulumi.AdditionalSecretOutputs([]string{"data", "stringData"}))
	if err != nil {
		return pulumi.IDOutput{}, fmt.Errorf("reading the pgpool users secret %s: %w", secretName, err)
	}
	merged := pulumi.All(current.Data, role.Name, password.Result).ApplyT(func(v []any) (map[string]string, error) {
		data, err := mergeUsers(v[0].(map[string]string), v[1].(string), v[2].(string))
		if err != nil {
			return nil, fmt.Errorf("pgpool users secret %s: %w", secretName, err)
		}
		return data, nil
	}).(pulumi.StringMapOutput)
	users, err := corev1.NewSecretPatch(ctx, name+"-pgpool-users", &corev1.SecretPatchArgs{
		Metadata: &metav1.ObjectMetaPatchArgs{
			Name:        pulumi.String(p.UsersSecret),
			Namespace:   pulumi.String(p.Namespace),
			Annotations: patchAnnotations(),
		},
		Data: pulumi.ToSecret(merged).(pulumi.StringMapOutput),
	}, parent, pulumi.DependsOn([]pulumi.Resource{role, db}), pulumi.RetainOnDelete(true))
	if err != nil {
		return pulumi.IDOutput{}, fmt.Errorf("pgpool users secret %s: %w", secretName, err)
	}
	checksum := passwordDigest(role, password)
	restart, err := appsv1.NewDeploymentPatch(ctx, name+"-pgpool-restart", &appsv1.DeploymentPatchArgs{
		Metadata: &metav1.ObjectMetaPatchArgs{
			Name:        pulumi.String(p.Deployment),
			Namespace:   pulumi.String(p.Namespace),
			Annotations: patchAnnotations(),
		},
		Spec: &appsv1.DeploymentSpecPatchArgs{
			Template: &corev1.PodTemplateSpecPatchArgs{
				Metadata: &metav1.ObjectMetaPatchArgs{
					Annotations: pulumi.StringMap{"inter-hub.coulomb.social/pgpool-users": checksum},
				},
			},
		},
	}, parent, pulumi.DependsOn([]pulumi.Resource{users}), pulumi.RetainOnDelete(true))
	if err != nil {
		return pulumi.IDOutput{}, fmt.Errorf("pgpool restart: %w", err)
	}
	return restart.ID(), nil
}

// patchAnnotations make the program's server-side apply patches of the platform's objects use
// one named field manager, and take over the fields they set from whoever set them before.
func patchAnnotations() pulumi.StringMap {
	return pulumi.StringMap{
		"pulumi.com/patchFieldManager": pulumi.String("inter-hub-pgpool-users"),
		"pulumi.com/patchForce":        pulumi.String("true"),
	}
}

// mergeUsers returns the users Secret's two lists (base64, as a Secret's data holds them) with
// role's password set and every other entry as it was.
func mergeUsers(data map[string]string, role, password string) (map[string]string, error) {
	plain := map[string]string{}
	for _, k := range []string{pgpoolusers.UsernamesKey, pgpoolusers.PasswordsKey} {
		b, err := base64.StdEncoding.DecodeString(data[k])
		if err != nil {
			return nil, fmt.Errorf("key %s is not base64", k)
		}
		plain[k] = string(b)
	}
	users, passwords, err := pgpoolusers.Merge(plain[pgpoolusers.UsernamesKey], plain[pgpoolusers.PasswordsKey], role, password)
	if err != nil {
		return nil, err
	}
	return map[string]string{
		pgpoolusers.UsernamesKey: base64.StdEncoding.EncodeToString([]byte(users)),
		pgpoolusers.PasswordsKey: base64.StdEncoding.EncodeToString([]byte(passwords)),
	}, nil
}
