package postgresql

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	p "github.com/pulumi/pulumi-go-provider"
	"github.com/pulumi/pulumi-go-provider/infer"

	"interhub/toolchain/providers/internal/pgadmin"
)

// Role is postgresql:index/role:Role. Every change, a rename and a new
// password included, is an in-place update, as upstream.
type Role struct{}

// RoleArgs are the inputs, with upstream's defaults.
type RoleArgs struct {
	Name                            string    `pulumi:"name"`
	Password                        *string   `pulumi:"password,optional" provider:"secret"`
	Login                           *bool     `pulumi:"login,optional"`
	ConnectionLimit                 *int      `pulumi:"connectionLimit,optional"`
	CreateDatabase                  *bool     `pulumi:"createDatabase,optional"`
	CreateRole                      *bool     `pulumi:"createRole,optional"`
	Inherit                         *bool     `pulumi:"inherit,optional"`
	Superuser                       *bool     `pulumi:"superuser,optional"`
	Replication                     *bool     `pulumi:"replication,optional"`
	BypassRowLevelSecurity          *bool     `pulumi:"bypassRowLevelSecurity,optional"`
	EncryptedPassword               *bool     `pulumi:"encryptedPassword,optional"`
	Encrypted                       *string   `pulumi:"encrypted,optional"`
	ValidUntil                      *string   `pulumi:"validUntil,optional"`
	Roles                           *[]string `pulumi:"roles,optional"`
	SearchPaths                     *[]string `pulumi:"searchPaths,optional"`
	StatementTimeout                *int      `pulumi:"statementTimeout,optional"`
	IdleInTransactionSessionTimeout *int      `pulumi:"idleInTransactionSessionTimeout,optional"`
	AssumeRole                      *string   `pulumi:"assumeRole,optional"`
	SkipDropRole                    *bool     `pulumi:"skipDropRole,optional"`
	SkipReassignOwned               *bool     `pulumi:"skipReassignOwned,optional"`
	PasswordWo                      *string   `pulumi:"passwordWo,optional" provider:"secret"`
	PasswordWoVersion               *string   `pulumi:"passwordWoVersion,optional"`
}

// RoleState is the recorded state: the inputs as read back from the server.
type RoleState struct {
	RoleArgs
}

func (r *Role) Annotate(a infer.Annotator) {
	a.SetToken("index/role", "Role")
	a.Describe(&r, "A PostgreSQL role.")
}

func (a *RoleArgs) Annotate(an infer.Annotator) {
	// No defaults here: as the official plugin's schema, none are declared;
	// Check fills Terraform's defaults the way the bridge does (shape.go).
	an.Describe(&a.Name, "The name of the role. Must be unique on the PostgreSQL server instance where it is configured.")
	an.Describe(&a.Password, "Sets the role's password.")
	an.Deprecate(&a.Encrypted, `Rename PostgreSQL role resource attribute "encrypted" to "encryptedPassword"`)
	an.Describe(&a.PasswordWo, "Not supported by this plugin; use password.")
}

func (*Role) Check(ctx context.Context, req infer.CheckRequest) (infer.CheckResponse[RoleArgs], error) {
	args, failures, err := infer.DefaultCheck[RoleArgs](ctx, req.NewInputs)
	if err != nil || len(failures) > 0 {
		return infer.CheckResponse[RoleArgs]{Inputs: args, Failures: failures}, err
	}
	known := func(k string) bool { return !req.NewInputs.Get(k).HasComputed() }
	fail := func(prop, reason string) { failures = append(failures, p.CheckFailure{Property: prop, Reason: reason}) }
	if known("name") && strings.TrimSpace(args.Name) == "" {
		fail("name", "must not be empty")
	}
	if known("connectionLimit") && deref(args.ConnectionLimit, -1) < -1 {
		fail("connectionLimit", fmt.Sprintf("must be -1 (no limit) or more, got %d", *args.ConnectionLimit))
	}
	for _, k := range []struct {
		name string
		v    *int
	}{{"statementTimeout", args.StatementTimeout}, {"idleInTransactionSessionTimeout", args.IdleInTransactionSessionTimeout}} {
		if known(k.name) && deref(k.v, 0) < 0 {
			fail(k.name, fmt.Sprintf("must not be negative, got %d", *k.v))
		}
	}
	if known("searchPaths") {
		for _, s := range deref(args.SearchPaths, nil) {
			if strings.Contains(s, ", ") {
				fail("searchPaths", fmt.Sprintf("entry %q must not contain \", \"", s))
			}
		}
	}
	if args.PasswordWo != nil || args.PasswordWoVersion != nil {
		fail("passwordWo", "write-only passwords are not supported by this offline plugin; use password")
	}
	if known("encryptedPassword") && !deref(args.EncryptedPassword, true) {
		fail("encryptedPassword", "must be true: PostgreSQL 10 and later always store passwords hashed")
	}
	return infer.CheckResponse[RoleArgs]{Inputs: args, Failures: failures}, nil
}

// spec is the role the inputs ask for.
func (a RoleArgs) spec() pgadmin.Role {
	return pgadmin.Role{
		Name:                            a.Name,
		Password:                        a.Password,
		Login:                           deref(a.Login, false),
		ConnectionLimit:                 deref(a.ConnectionLimit, -1),
		CreateDatabase:                  deref(a.CreateDatabase, false),
		CreateRole:                      deref(a.CreateRole, false),
		Inherit:                         deref(a.Inherit, true),
		Superuser:                       deref(a.Superuser, false),
		Replication:                     deref(a.Replication, false),
		BypassRowLevelSecurity:          deref(a.BypassRowLevelSecurity, false),
		EncryptedPassword:               true,
		ValidUntil:                      deref(a.ValidUntil, "infinity"),
		Roles:                           sorted(deref(a.Roles, nil)),
		SearchPath:                      deref(a.SearchPaths, nil),
		StatementTimeout:                deref(a.StatementTimeout, 0),
		IdleInTransactionSessionTimeout: deref(a.IdleInTransactionSessionTimeout, 0),
		AssumeRole:                      deref(a.AssumeRole, ""),
	}
}

// observed merges what the server reports into args: every managed field
// takes the server's value, and fields left unset stay unset while the server
// agrees with their default, so an untouched role shows no diff.
func observed(args RoleArgs, r pgadmin.Role) RoleArgs {
	out := args
	out.Name = r.Name
	setBool := func(dst **bool, v, def bool) {
		if *dst != nil || v != def {
			*dst = ptr(v)
		}
	}
	setBool(&out.Login, r.Login, false)
	setBool(&out.CreateDatabase, r.CreateDatabase, false)
	setBool(&out.CreateRole, r.CreateRole, false)
	setBool(&out.Inherit, r.Inherit, true)
	setBool(&out.Superuser, r.Superuser, false)
	setBool(&out.Replication, r.Replication, false)
	setBool(&out.BypassRowLevelSecurity, r.BypassRowLevelSecurity, false)
	setInt := func(dst **int, v, def int) {
		if *dst != nil || v != def {
			*dst = ptr(v)
		}
	}
	setInt(&out.ConnectionLimit, r.ConnectionLimit, -1)
	setInt(&out.StatementTimeout, r.StatementTimeout, 0)
	setInt(&out.IdleInTransactionSessionTimeout, r.IdleInTransactionSessionTimeout, 0)
	if out.ValidUntil != nil || r.ValidUntil != "infinity" {
		out.ValidUntil = ptr(r.ValidUntil)
	}
	if out.AssumeRole != nil || r.AssumeRole != "" {
		out.AssumeRole = ptr(r.AssumeRole)
	}
	setList := func(dst **[]string, v []string, ordered bool) {
		cur := deref(*dst, nil)
		if !ordered {
			cur = sorted(cur)
		}
		if slices.Equal(cur, v) {
			return // keep the user's order and nil-ness
		}
		if *dst != nil || len(v) > 0 {
			*dst = ptr(v)
		}
	}
	setList(&out.Roles, r.Roles, false)
	setList(&out.SearchPaths, r.SearchPath, true)
	return out
}

// imported is the inputs of an imported role: every setting that has a
// Terraform default, as read, and the others when not empty (the bridge
// takes an import's inputs from the state it read).
func imported(r pgadmin.Role) RoleArgs {
	a := observed(RoleArgs{}, r)
	a.Login, a.CreateDatabase, a.CreateRole = ptr(r.Login), ptr(r.CreateDatabase), ptr(r.CreateRole)
	a.Inherit, a.Superuser, a.Replication = ptr(r.Inherit), ptr(r.Superuser), ptr(r.Replication)
	a.BypassRowLevelSecurity, a.ConnectionLimit = ptr(r.BypassRowLevelSecurity), ptr(r.ConnectionLimit)
	a.EncryptedPassword, a.ValidUntil = ptr(true), ptr(r.ValidUntil)
	a.SkipDropRole, a.SkipReassignOwned = ptr(false), ptr(false)
	return a
}

func (*Role) Create(ctx context.Context, req infer.CreateRequest[RoleArgs]) (infer.CreateResponse[RoleState], error) {
	if req.DryRun {
		return infer.CreateResponse[RoleState]{ID: req.Inputs.Name, Output: RoleState{req.Inputs}}, nil
	}
	conn, _, err := connect(ctx)
	if err != nil {
		return infer.CreateResponse[RoleState]{}, err
	}
	defer conn.Close()
	if err := conn.CreateRole(ctx, req.Inputs.spec()); err != nil {
		return infer.CreateResponse[RoleState]{}, err
	}
	got, err := conn.ReadRole(ctx, req.Inputs.Name)
	if err != nil {
		return infer.CreateResponse[RoleState]{}, fmt.Errorf("reading back role %q: %w", req.Inputs.Name, err)
	}
	return infer.CreateResponse[RoleState]{ID: req.Inputs.Name, Output: RoleState{observed(req.Inputs, got)}}, nil
}

// Read finds the role by the name in state (the ID on import, and the ID
// never changes, while a rename changes the name), reports drift, and reports
// a role dropped behind Pulumi's back as gone.
func (*Role) Read(ctx context.Context, req infer.ReadRequest[RoleArgs, RoleState]) (infer.ReadResponse[RoleArgs, RoleState], error) {
	name := req.State.Name
	if name == "" {
		name = req.ID
	}
	conn, cfg, err := connect(ctx)
	if err != nil {
		return infer.ReadResponse[RoleArgs, RoleState]{}, err
	}
	defer conn.Close()
	got, err := conn.ReadRole(ctx, name)
	if errors.Is(err, pgadmin.ErrNotFound) {
		return infer.ReadResponse[RoleArgs, RoleState]{}, nil
	}
	if err != nil {
		return infer.ReadResponse[RoleArgs, RoleState]{}, err
	}
	state := observed(req.State.RoleArgs, got)
	inputs := observed(req.Inputs, got)
	if req.State.Name == "" { // import
		state = imported(got)
		inputs = state
	}
	// Only a superuser can read the stored password; upstream does so when
	// told it is one, and reports a different password as drift.
	if cfg.superuser() && got.Login {
		stored, err := conn.StoredPassword(ctx, name)
		if err != nil {
			return infer.ReadResponse[RoleArgs, RoleState]{}, err
		}
		if !pgadmin.PasswordMatches(stored, deref(state.Password, ""), name) {
			state.Password = ptr(stored)
			inputs.Password = ptr(stored)
		}
	}
	return infer.ReadResponse[RoleArgs, RoleState]{ID: req.ID, Inputs: inputs, State: RoleState{state}}, nil
}

func (*Role) Update(ctx context.Context, req infer.UpdateRequest[RoleArgs, RoleState]) (infer.UpdateResponse[RoleState], error) {
	if req.DryRun {
		return infer.UpdateResponse[RoleState]{Output: RoleState{req.Inputs}}, nil
	}
	conn, _, err := connect(ctx)
	if err != nil {
		return infer.UpdateResponse[RoleState]{}, err
	}
	defer conn.Close()
	if err := conn.AlterRole(ctx, req.State.spec(), req.Inputs.spec()); err != nil {
		return infer.UpdateResponse[RoleState]{}, err
	}
	got, err := conn.ReadRole(ctx, req.Inputs.Name)
	if err != nil {
		return infer.UpdateResponse[RoleState]{}, fmt.Errorf("reading back role %q: %w", req.Inputs.Name, err)
	}
	return infer.UpdateResponse[RoleState]{Output: RoleState{observed(req.Inputs, got)}}, nil
}

func (*Role) Delete(ctx context.Context, req infer.DeleteRequest[RoleState]) (infer.DeleteResponse, error) {
	conn, _, err := connect(ctx)
	if err != nil {
		return infer.DeleteResponse{}, err
	}
	defer conn.Close()
	if _, err := conn.ReadRole(ctx, req.State.Name); errors.Is(err, pgadmin.ErrNotFound) {
		return infer.DeleteResponse{}, nil // already gone
	}
	return infer.DeleteResponse{}, conn.DropRole(ctx, req.State.Name,
		deref(req.State.SkipReassignOwned, false), deref(req.State.SkipDropRole, false))
}

func sorted(s []string) []string {
	if s == nil {
		return nil
	}
	out := slices.Clone(s)
	slices.Sort(out)
	return out
}
