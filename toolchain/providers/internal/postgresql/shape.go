package postgresql

import (
	p "github.com/pulumi/pulumi-go-provider"
	"github.com/pulumi/pulumi/sdk/v3/go/property"

	"interhub/toolchain/providers/internal/bridge"
)

// The official plugin is bridged from cyrilgdn/terraform-provider-postgresql
// (the commit pulumi-postgresql v3.18.0 pins, ff936b95): these are the
// attributes of postgresql_role and postgresql_database with their
// Terraform defaults, Computed and ForceNew flags, from
// postgresql/resource_postgresql_role.go and
// postgresql/resource_postgresql_database.go there.
var (
	roleSchema = bridge.Schema{
		"name":                            {Kind: bridge.String},
		"password":                        {Kind: bridge.String, NotInState: true},
		"login":                           {Kind: bridge.Bool, Default: property.New(false)},
		"connectionLimit":                 {Kind: bridge.Number, Default: property.New(-1.0)},
		"createDatabase":                  {Kind: bridge.Bool, Default: property.New(false)},
		"createRole":                      {Kind: bridge.Bool, Default: property.New(false)},
		"inherit":                         {Kind: bridge.Bool, Default: property.New(true)},
		"superuser":                       {Kind: bridge.Bool, Default: property.New(false)},
		"replication":                     {Kind: bridge.Bool, Default: property.New(false)},
		"bypassRowLevelSecurity":          {Kind: bridge.Bool, Default: property.New(false)},
		"encryptedPassword":               {Kind: bridge.Bool, Default: property.New(true)},
		"encrypted":                       {Kind: bridge.String, NotInState: true}, // deprecated, no default
		"validUntil":                      {Kind: bridge.String, Default: property.New("infinity")},
		"roles":                           {Kind: bridge.Set},
		"searchPaths":                     {Kind: bridge.List},
		"statementTimeout":                {Kind: bridge.Number},
		"idleInTransactionSessionTimeout": {Kind: bridge.Number},
		"assumeRole":                      {Kind: bridge.String},
		"skipDropRole":                    {Kind: bridge.Bool, Default: property.New(false)},
		"skipReassignOwned":               {Kind: bridge.Bool, Default: property.New(false)},
		"passwordWo":                      {Kind: bridge.String, NotInState: true},
		"passwordWoVersion":               {Kind: bridge.String, NotInState: true},
	}
	databaseSchema = bridge.Schema{
		"name":                 {Kind: bridge.String},
		"owner":                {Kind: bridge.String, Computed: true},
		"template":             {Kind: bridge.String, Computed: true, ForceNew: true},
		"encoding":             {Kind: bridge.String, Computed: true, ForceNew: true},
		"lcCollate":            {Kind: bridge.String, Computed: true, ForceNew: true},
		"lcCtype":              {Kind: bridge.String, Computed: true, ForceNew: true},
		"tablespaceName":       {Kind: bridge.String, Computed: true},
		"connectionLimit":      {Kind: bridge.Number, Default: property.New(-1.0)},
		"allowConnections":     {Kind: bridge.Bool, Default: property.New(true)},
		"isTemplate":           {Kind: bridge.Bool, Computed: true},
		"alterObjectOwnership": {Kind: bridge.Bool, Default: property.New(false)},
	}
)

// configSchema types the provider settings that are not strings and gives
// the defaults Configure applies, so that DiffConfig compares values.
var configSchema = bridge.Schema{
	"host":              {Kind: bridge.String, Default: property.New("localhost")},
	"port":              {Kind: bridge.Number, Default: property.New(5432.0)},
	"username":          {Kind: bridge.String, Default: property.New("postgres")},
	"database":          {Kind: bridge.String, Default: property.New("postgres")},
	"connectTimeout":    {Kind: bridge.Number, Default: property.New(180.0)},
	"superuser":         {Kind: bridge.Bool, Default: property.New(true)},
	"expectedVersion":   {Kind: bridge.String, Default: property.New("9.0.0")},
	"maxConnections":    {Kind: bridge.Number, Default: property.New(20.0)},
	"scheme":            {Kind: bridge.String, Default: property.New("postgres")},
	"awsRdsIamAuth":     {Kind: bridge.Bool, Default: property.New(false)},
	"azureIdentityAuth": {Kind: bridge.Bool, Default: property.New(false)},
}

// shaped gives a resource the bridge's input and state shapes. Its "id"
// output is the name: the Terraform provider sets the ID to the new name on
// a rename (d.SetId in the role and database update functions), and the
// official plugin finds the object by it.
func shaped(s bridge.Schema) bridge.Resource {
	return bridge.Resource{
		Check: s.CheckInputs,
		Diff: func(state, _, news property.Map) p.DiffResponse {
			return s.Diff(state, news)
		},
		State: func(id string, state, prev property.Map, _ bool) property.Map {
			state = s.FullState(state)
			if name := state.Get("name"); name.IsString() && name.AsString() != "" {
				state = state.Set(bridge.ID, property.New(name.AsString()))
			} else if id != "" {
				state = state.Set(bridge.ID, property.New(id))
			}
			return bridge.Carry(state, prev, bridge.Meta)
		},
		ReadInputs: bridge.KeepDefaults,
	}
}
