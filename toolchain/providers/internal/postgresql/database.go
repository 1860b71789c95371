package postgresql

import (
	"context"
	"errors"
	"fmt"
	"strings"

	p "github.com/pulumi/pulumi-go-provider"
	"github.com/pulumi/pulumi-go-provider/infer"

	"interhub/toolchain/providers/internal/pgadmin"
)

// Database is postgresql:index/database:Database. A new template, encoding,
// lcCollate or lcCtype replaces it; everything else, the name included, is
// changed in place, as upstream.
type Database struct{}

// DatabaseArgs are the inputs.
type DatabaseArgs struct {
	Name                 string  `pulumi:"name"`
	Owner                *string `pulumi:"owner,optional"`
	Template             *string `pulumi:"template,optional" provider:"replaceOnChanges"`
	Encoding             *string `pulumi:"encoding,optional" provider:"replaceOnChanges"`
	LcCollate            *string `pulumi:"lcCollate,optional" provider:"replaceOnChanges"`
	LcCtype              *string `pulumi:"lcCtype,optional" provider:"replaceOnChanges"`
	TablespaceName       *string `pulumi:"tablespaceName,optional"`
	ConnectionLimit      *int    `pulumi:"connectionLimit,optional"`
	AllowConnections     *bool   `pulumi:"allowConnections,optional"`
	IsTemplate           *bool   `pulumi:"isTemplate,optional"`
	AlterObjectOwnership *bool   `pulumi:"alterObjectOwnership,optional"`
}

// DatabaseState is the recorded state; the computed fields always hold the
// server's values.
type DatabaseState struct {
	Name                 string `pulumi:"name"`
	Owner                string `pulumi:"owner"`
	Template             string `pulumi:"template"`
	Encoding             string `pulumi:"encoding"`
	LcCollate            string `pulumi:"lcCollate"`
	LcCtype              string `pulumi:"lcCtype"`
	TablespaceName       string `pulumi:"tablespaceName"`
	ConnectionLimit      int    `pulumi:"connectionLimit"`
	AllowConnections     bool   `pulumi:"allowConnections"`
	IsTemplate           bool   `pulumi:"isTemplate"`
	AlterObjectOwnership *bool  `pulumi:"alterObjectOwnership,optional"`
}

func (d *Database) Annotate(a infer.Annotator) {
	a.SetToken("index/database", "Database")
	a.Describe(&d, "A PostgreSQL database.")
}

func (a *DatabaseArgs) Annotate(an infer.Annotator) {
	an.Describe(&a.Name, "The name of the database.")
	an.Describe(&a.Owner, "The role that owns the database; defaults to the connecting role.")
	an.Describe(&a.Template, "The template to copy; defaults to template0.")
	an.Describe(&a.AlterObjectOwnership, "Not supported by this plugin; must be false.")
}

func (*Database) Check(ctx context.Context, req infer.CheckRequest) (infer.CheckResponse[DatabaseArgs], error) {
	args, failures, err := infer.DefaultCheck[DatabaseArgs](ctx, req.NewInputs)
	if err != nil || len(failures) > 0 {
		return infer.CheckResponse[DatabaseArgs]{Inputs: args, Failures: failures}, err
	}
	known := func(k string) bool { return !req.NewInputs.Get(k).HasComputed() }
	if known("name") && strings.TrimSpace(args.Name) == "" {
		failures = append(failures, p.CheckFailure{Property: "name", Reason: "must not be empty"})
	}
	if known("connectionLimit") && deref(args.ConnectionLimit, -1) < -1 {
		failures = append(failures, p.CheckFailure{Property: "connectionLimit",
			Reason: fmt.Sprintf("must be -1 (no limit) or more, got %d", *args.ConnectionLimit)})
	}
	if deref(args.AlterObjectOwnership, false) {
		failures = append(failures, p.CheckFailure{Property: "alterObjectOwnership",
			Reason: "is not supported by this offline plugin"})
	}
	return infer.CheckResponse[DatabaseArgs]{Inputs: args, Failures: failures}, nil
}

func (a DatabaseArgs) spec() pgadmin.Database {
	return pgadmin.Database{
		Name:             a.Name,
		Owner:            deref(a.Owner, ""),
		Template:         deref(a.Template, ""),
		Encoding:         deref(a.Encoding, ""),
		LcCollate:        deref(a.LcCollate, ""),
		LcCtype:          deref(a.LcCtype, ""),
		Tablespace:       deref(a.TablespaceName, ""),
		ConnectionLimit:  deref(a.ConnectionLimit, -1),
		AllowConnections: deref(a.AllowConnections, true),
		IsTemplate:       deref(a.IsTemplate, false),
	}
}

// desired is the database the inputs ask for: what state records, with every
// input that is set taking precedence (an unset computed input keeps the
// server's value).
func desired(a DatabaseArgs, s DatabaseState) pgadmin.Database {
	d := s.spec()
	d.Name = a.Name
	set := func(dst *string, v *string) {
		if v != nil {
			*dst = *v
		}
	}
	set(&d.Owner, a.Owner)
	set(&d.Tablespace, a.TablespaceName)
	d.ConnectionLimit = deref(a.ConnectionLimit, -1)
	d.AllowConnections = deref(a.AllowConnections, true)
	d.IsTemplate = deref(a.IsTemplate, s.IsTemplate)
	return d
}

func (s DatabaseState) spec() pgadmin.Database {
	return pgadmin.Database{
		Name: s.Name, Owner: s.Owner, Template: s.Template, Encoding: s.Encoding, LcCollate: s.LcCollate,
		LcCtype: s.LcCtype, Tablespace: s.TablespaceName, ConnectionLimit: s.ConnectionLimit,
		AllowConnections: s.AllowConnections, IsTemplate: s.IsTemplate,
	}
}

// databaseState records what the server reports; the template cannot be
// read back, so it is the one asked for, or template0.
func databaseState(args DatabaseArgs, d pgadmin.Database, template string) DatabaseState {
	if template == "" {
		template = "template0"
	}
	return DatabaseState{
		Name: d.Name, Owner: d.Owner, Template: template, Encoding: d.Encoding, LcCollate: d.LcCollate,
		LcCtype: d.LcCtype, TablespaceName: d.Tablespace, ConnectionLimit: d.ConnectionLimit,
		AllowConnections: d.AllowConnections, IsTemplate: d.IsTemplate, AlterObjectOwnership: args.AlterObjectOwnership,
	}
}

// observedArgs puts the server's values into the inputs the user set (and
// into unset ones whose default the server no longer matches), so refresh
// shows drift against the program.
func observedArgs(args DatabaseArgs, d pgadmin.Database) DatabaseArgs {
	out := args
	out.Name = d.Name
	setStr := func(dst **string, v string) {
		if *dst != nil && !strings.EqualFold(**dst, "DEFAULT") {
			*dst = ptr(v)
		}
	}
	setStr(&out.Owner, d.Owner)
	setStr(&out.Encoding, d.Encoding)
	setStr(&out.LcCollate, d.LcCollate)
	setStr(&out.LcCtype, d.LcCtype)
	setStr(&out.TablespaceName, d.Tablespace)
	if out.ConnectionLimit != nil || d.ConnectionLimit != -1 {
		out.ConnectionLimit = ptr(d.ConnectionLimit)
	}
	if out.AllowConnections != nil || !d.AllowConnections {
		out.AllowConnections = ptr(d.AllowConnections)
	}
	if out.IsTemplate != nil || d.IsTemplate {
		out.IsTemplate = ptr(d.IsTemplate)
	}
	return out
}

func (*Database) Create(ctx context.Context, req infer.CreateRequest[DatabaseArgs]) (infer.CreateResponse[DatabaseState], error) {
	if req.DryRun {
		return infer.CreateResponse[DatabaseState]{ID: req.Inputs.Name,
			Output: databaseState(req.Inputs, req.Inputs.spec(), deref(req.Inputs.Template, ""))}, nil
	}
	conn, _, err := connect(ctx)
	if err != nil {
		return infer.CreateResponse[DatabaseState]{}, err
	}
	defer conn.Close()
	if err := conn.CreateDatabase(ctx, req.Inputs.spec()); err != nil {
		return infer.CreateResponse[DatabaseState]{}, err
	}
	got, err := conn.ReadDatabase(ctx, req.Inputs.Name)
	if err != nil {
		return infer.CreateResponse[DatabaseState]{}, fmt.Errorf("reading back database %q: %w", req.Inputs.Name, err)
	}
	return infer.CreateResponse[DatabaseState]{ID: req.Inputs.Name,
		Output: databaseState(req.Inputs, got, deref(req.Inputs.Template, ""))}, nil
}

// Read finds the database by the name in state (by the ID on import), and
// reports one dropped behind Pulumi's back as gone.
func (*Database) Read(ctx context.Context, req infer.ReadRequest[DatabaseArgs, DatabaseState]) (
	infer.ReadResponse[DatabaseArgs, DatabaseState], error,
) {
	name := req.State.Name
	if name == "" {
		name = req.ID
	}
	conn, _, err := connect(ctx)
	if err != nil {
		return infer.ReadResponse[DatabaseArgs, DatabaseState]{}, err
	}
	defer conn.Close()
	got, err := conn.ReadDatabase(ctx, name)
	if errors.Is(err, pgadmin.ErrNotFound) {
		return infer.ReadResponse[DatabaseArgs, DatabaseState]{}, nil
	}
	if err != nil {
		return infer.ReadResponse[DatabaseArgs, DatabaseState]{}, err
	}
	inputs := observedArgs(req.Inputs, got)
	if req.State.Name == "" { // import: every readable setting becomes an input
		inputs = DatabaseArgs{
			Name: got.Name, Owner: ptr(got.Owner), Encoding: ptr(got.Encoding), LcCollate: ptr(got.LcCollate),
			LcCtype: ptr(got.LcCtype), TablespaceName: ptr(got.Tablespace), ConnectionLimit: ptr(got.ConnectionLimit),
			AllowConnections: ptr(got.AllowConnections), IsTemplate: ptr(got.IsTemplate),
		}
	}
	return infer.ReadResponse[DatabaseArgs, DatabaseState]{
		ID: req.ID, Inputs: inputs, State: databaseState(inputs, got, req.State.Template),
	}, nil
}

func (*Database) Update(ctx context.Context, req infer.UpdateRequest[DatabaseArgs, DatabaseState]) (
	infer.UpdateResponse[DatabaseState], error,
) {
	if req.DryRun {
		return infer.UpdateResponse[DatabaseState]{
			Output: databaseState(req.Inputs, desired(req.Inputs, req.State), req.State.Template)}, nil
	}
	conn, _, err := connect(ctx)
	if err != nil {
		return infer.UpdateResponse[DatabaseState]{}, err
	}
	defer conn.Close()
	if err := conn.AlterDatabase(ctx, req.State.spec(), desired(req.Inputs, req.State)); err != nil {
		return infer.UpdateResponse[DatabaseState]{}, err
	}
	got, err := conn.ReadDatabase(ctx, req.Inputs.Name)
	if err != nil {
		return infer.UpdateResponse[DatabaseState]{}, fmt.Errorf("reading back database %q: %w", req.Inputs.Name, err)
	}
	return infer.UpdateResponse[DatabaseState]{Output: databaseState(req.Inputs, got, req.State.Template)}, nil
}

func (*Database) Delete(ctx context.Context, req infer.DeleteRequest[DatabaseState]) (infer.DeleteResponse, error) {
	conn, _, err := connect(ctx)
	if err != nil {
		return infer.DeleteResponse{}, err
	}
	defer conn.Close()
	got, err := conn.ReadDatabase(ctx, req.State.Name)
	if errors.Is(err, pgadmin.ErrNotFound) {
		return infer.DeleteResponse{}, nil // already gone
	}
	if err != nil {
		return infer.DeleteResponse{}, err
	}
	return infer.DeleteResponse{}, conn.DropDatabase(ctx, got)
}
