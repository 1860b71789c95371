package random

import (
	p "github.com/pulumi/pulumi-go-provider"
	"github.com/pulumi/pulumi/sdk/v3/go/property"

	"interhub/toolchain/providers/internal/bridge"
)

// passwordMeta is what the official plugin records as the schema version of
// its RandomPassword state (passwordSchemaV3). Writing it keeps a stack
// readable by the official plugin without a state upgrade.
const passwordMeta = `{"schema_version":"3"}`

// passwordResource shapes RandomPassword's state as the official plugin
// (bridged from terraform-provider-random's Plugin Framework resource)
// records it: an "id" output "none", "__meta" and a raw state delta.
var passwordResource = bridge.Resource{
	Diff: func(state, _, news property.Map) p.DiffResponse { return passwordDiff(state, news) },
	State: func(_ string, state, _ property.Map, dryRun bool) property.Map {
		state = state.Set(bridge.ID, property.New("none")).Set(bridge.Meta, property.New(passwordMeta))
		return withDelta(state, []string{"keepers", "overrideSpecial"}, dryRun)
	},
	ReadInputs: keepInputs,
}

// idResource shapes RandomId's state: its "id" output is the ID, the
// unprefixed b64Url.
var idResource = bridge.Resource{
	State: func(id string, state, _ property.Map, dryRun bool) property.Map {
		if id != "" {
			state = state.Set(bridge.ID, property.New(id))
		}
		return withDelta(state, []string{"keepers", "prefix"}, dryRun)
	},
	ReadInputs: keepInputs,
}

// keepInputs keeps the inputs of a refresh as they were: there is nothing to
// read back that could change them. An import takes the framework's.
func keepInputs(prev, read property.Map) property.Map {
	if prev.Len() > 0 {
		return prev
	}
	return read
}

// withDelta adds the "__pulumi_raw_state_delta" pulumi-random writes
// (EnableRawStateDelta in its provider/resources.go), computed as
// pulumi-terraform-bridge pkg/tfbridge/rawstate.go computes it for these
// schemas: an object ("obj") whose property names all follow the plain
// camelCase/snake_case rule, so nothing is renamed; the map "keepers", when
// set, needs a map marker; an optional attribute that is null in Terraform's
// state is absent from the Pulumi state (pkg/convert/object.go drops
// nulls), which the bridge records as a secret "replace" with a raw null.
// pulumi-go-provider drops that null on the wire ({"replace":{}}); the
// bridge reads both as null (rawstate.State of no message). Not in
// previews, as the bridge skips state with unknowns.
func withDelta(state property.Map, nullable []string, dryRun bool) property.Map {
	if dryRun || property.New(state).HasComputed() {
		return state.Delete(bridge.RawStateDelta)
	}
	ps := map[string]property.Value{}
	for _, k := range nullable {
		v := state.Get(k)
		switch {
		case v.IsNull():
			ps[k] = property.New(property.NewMap(map[string]property.Value{
				"replace": property.New(property.NewMap(map[string]property.Value{"raw": property.New(property.Null)})),
			})).WithSecret(true)
		case v.IsMap():
			ps[k] = property.New(property.NewMap(map[string]property.Value{"map": property.New(property.NewMap(nil))}))
		}
	}
	obj := property.NewMap(nil)
	if len(ps) > 0 {
		obj = obj.Set("ps", property.New(property.NewMap(ps)))
	}
	return state.Set(bridge.RawStateDelta, property.New(property.NewMap(map[string]property.Value{
		"obj": property.New(obj),
	})))
}

// passwordDefaults are the schema defaults of passwordSchemaV3, which the
// state holds for attributes the program leaves unset.
var passwordDefaults = map[string]property.Value{
	"special": property.New(true), "upper": property.New(true), "lower": property.New(true),
	"number": property.New(true), "numeric": property.New(true),
	"minUpper": property.New(0.0), "minLower": property.New(0.0),
	"minNumeric": property.New(0.0), "minSpecial": property.New(0.0),
}

// passwordAttrs are RandomPassword's inputs, all of which the state records.
var passwordAttrs = []string{"keepers", "length", "lower", "minLower", "minNumeric", "minSpecial", "minUpper",
	"number", "numeric", "overrideSpecial", "special", "upper"}

// plannedInputs is the raw form of planned: unknowns stay unknown.
func plannedInputs(news property.Map) property.Map {
	for k, d := range passwordDefaults {
		if k != "number" && k != "numeric" && news.Get(k).IsNull() {
			news = news.Set(k, d)
		}
	}
	number, numeric := news.Get("number"), news.Get("numeric")
	switch {
	case number.IsNull() && numeric.IsNull():
		news = news.Set("number", property.New(true)).Set("numeric", property.New(true))
	case number.IsNull():
		news = news.Set("number", numeric)
	case numeric.IsNull():
		news = news.Set("numeric", number)
	}
	return news
}

// passwordDiff compares the plan for the new inputs with the state as the
// Plugin Framework does, and replaces only where upstream's plan modifiers
// require it (terraform-provider-random
// internal/provider/resource_password.go passwordSchemaV3): a changed
// length, class switch or minimum replaces; keepers replace only as
// RequiresReplaceIfValuesNotNull says; overrideSpecial replaces unless it
// goes from "" to null. Other changes update in place and keep the password.
func passwordDiff(state, news property.Map) p.DiffResponse {
	plan := plannedInputs(news)
	diff := map[string]p.PropertyDiff{}
	for _, k := range passwordAttrs {
		pv, sv := plan.Get(k), state.Get(k)
		if sv.IsNull() {
			if d, ok := passwordDefaults[k]; ok {
				sv = d
			}
		}
		if !pv.HasComputed() && equal(pv, sv) {
			continue
		}
		replace := true
		switch k {
		case "keepers":
			replace = keepersRequireReplace(pv, sv)
		case "overrideSpecial":
			replace = !pv.IsComputed() && (!pv.IsNull() || sv.IsNull() || !sv.IsString() || plainString(sv) != "")
		}
		kind := p.Update
		switch {
		case sv.IsNull():
			kind = p.Add
		case pv.IsNull():
			kind = p.Delete
		}
		if replace {
			kind = map[p.DiffKind]p.DiffKind{p.Add: p.AddReplace, p.Delete: p.DeleteReplace, p.Update: p.UpdateReplace}[kind]
		}
		diff[k] = p.PropertyDiff{Kind: kind}
	}
	return p.DiffResponse{HasChanges: len(diff) > 0, DetailedDiff: diff}
}

// keepersRequireReplace is terraform-provider-random's
// RequiresReplaceIfValuesNotNull (internal/planmodifiers/map): keys with
// null values, and a null map becoming one with only null values (or {}),
// do not replace, since terraform-plugin-sdk stored such maps without them.
func keepersRequireReplace(config, state property.Value) bool {
	if equal(config, state) {
		return false
	}
	cfg := elements(config)
	if state.IsNull() {
		for _, v := range cfg {
			if !v.IsNull() {
				return true
			}
		}
		return false
	}
	st := elements(state)
	for k, v := range cfg {
		sv, ok := st[k]
		if !ok && v.IsNull() {
			continue
		}
		if ok && equal(v, sv) {
			continue
		}
		return true
	}
	for k := range st {
		if _, ok := cfg[k]; !ok {
			return true
		}
	}
	return false
}

func elements(v property.Value) map[string]property.Value {
	v = bridge.Plain(v)
	if !v.IsMap() {
		return nil // null or not known yet: no elements
	}
	return v.AsMap().AsMap()
}

func equal(a, b property.Value) bool { return bridge.Plain(a).Equals(bridge.Plain(b)) }

func plainString(v property.Value) string { return bridge.Plain(v).AsString() }
