// Package bridge gives the plugins of bridged Terraform providers (random,
// postgresql) the input and state shapes the official plugins, built with
// pulumi-terraform-bridge, give them: checked inputs with Terraform's
// defaults and a "__defaults" list, state with every attribute and an "id"
// output, and the reserved keys the bridge keeps in state.
package bridge

import (
	"slices"
	"sort"

	p "github.com/pulumi/pulumi-go-provider"
	"github.com/pulumi/pulumi/sdk/v3/go/property"
)

// Reserved keys of bridged state and inputs, from pulumi-terraform-bridge
// pkg/reservedkeys/keys.go, plus the "id" output every bridged resource has.
const (
	Meta          = "__meta"
	Defaults      = "__defaults"
	RawStateDelta = "__pulumi_raw_state_delta"
	ID            = "id"
)

// Kind is the Terraform type of an attribute.
type Kind int

const (
	String Kind = iota
	Bool
	Number
	List
	Set
)

// Attr is one attribute of a Terraform SDKv2 resource schema.
type Attr struct {
	Kind Kind
	// Default is the schema's Default, or null.
	Default property.Value
	// Computed is Optional+Computed: an input left unset keeps the
	// server's value and is no change.
	Computed bool
	// ForceNew replaces the resource when the value changes.
	ForceNew bool
	// NotInState leaves the attribute out of the state when unset (secret,
	// write-only and deprecated attributes).
	NotInState bool
}

// Schema is a resource's attributes by Pulumi property name.
type Schema map[string]Attr

// zero is the value SDKv2 treats as equal to unset.
func (a Attr) zero() property.Value {
	switch a.Kind {
	case Bool:
		return property.New(false)
	case Number:
		return property.New(0.0)
	case List, Set:
		return property.New(property.NewArray(nil))
	default:
		return property.New("")
	}
}

// effective is what SDKv2 plans for v: the default when unset, and the zero
// value when there is no default (SDKv2 does not tell null from zero).
func (a Attr) effective(v property.Value) property.Value {
	if v.IsNull() {
		if !a.Default.IsNull() {
			return a.Default
		}
		return a.zero()
	}
	return v
}

// falsy reports the default values the bridge no longer writes into checked
// inputs (pulumi-terraform-bridge pkg/tfbridge/schema.go,
// shouldSuppressTFSchemaDefaultValue, pulumi/pulumi-terraform-bridge#2618).
func falsy(v property.Value) bool {
	switch {
	case v.IsBool():
		return !v.AsBool()
	case v.IsNumber():
		return v.AsNumber() == 0
	case v.IsString():
		return v.AsString() == ""
	}
	return false
}

// CheckInputs returns news as the bridge's Check returns a program's inputs
// (pulumi-terraform-bridge v3.134.0, the version pulumi-postgresql v3.18.0
// uses: pkg/tfbridge/provider.go Check, and applyDefaults in
// pkg/tfbridge/schema.go): nulls dropped, every unset attribute with a
// Terraform default set to it, except defaults that are false, 0 or "", and
// the keys so set listed, sorted, under "__defaults". An unset attribute
// takes its old value instead when olds lists it as a default, or when olds
// has no "__defaults" list at all (state written without one); such a value
// is kept even when falsy.
func (s Schema) CheckInputs(olds, news property.Map) property.Map {
	out := map[string]property.Value{}
	for k, v := range news.All {
		if !v.IsNull() && k != Defaults {
			out[k] = v
		}
	}
	useOld := func(string) bool { return true }
	if list, ok := olds.GetOk(Defaults); ok && list.IsArray() {
		listed := map[string]bool{}
		for _, e := range list.AsArray().All {
			if e.IsString() {
				listed[e.AsString()] = true
			}
		}
		useOld = func(k string) bool { return listed[k] }
	}
	var defaulted []string
	for _, k := range s.keys() {
		a := s[k]
		if a.Default.IsNull() {
			continue
		}
		if _, set := out[k]; set {
			continue
		}
		if old, ok := olds.GetOk(k); ok && !old.IsNull() && useOld(k) {
			out[k] = old
			defaulted = append(defaulted, k)
			continue
		}
		if falsy(a.Default) {
			continue
		}
		out[k] = a.Default
		defaulted = append(defaulted, k)
	}
	sort.Strings(defaulted)
	list := make([]property.Value, len(defaulted))
	for i, k := range defaulted {
		list[i] = property.New(k)
	}
	out[Defaults] = property.New(property.NewArray(list))
	return property.NewMap(out)
}

// FullState fills every attribute of state that is unset with what Terraform
// records for it (its default, or its zero value), as the bridge's state has
// every attribute: the official plugin compares its Terraform plan with this.
func (s Schema) FullState(state property.Map) property.Map {
	for _, k := range s.keys() {
		a := s[k]
		if a.NotInState {
			continue
		}
		if v, ok := state.GetOk(k); !ok || v.IsNull() {
			state = state.Set(k, a.effective(property.Value{}))
		}
	}
	return state
}

// Diff compares the new checked inputs with the state as SDKv2 plans a
// change: an unset attribute means its default, or its zero value, except a
// computed one, which keeps the server's value; a value not known yet is a
// change; a set compares without order. A change to a ForceNew attribute
// replaces the resource, others update it in place.
func (s Schema) Diff(state, news property.Map) p.DiffResponse {
	diff := map[string]p.PropertyDiff{}
	for _, k := range s.keys() {
		a := s[k]
		nv := news.Get(k)
		if nv.IsNull() && a.Computed {
			continue
		}
		ov := state.Get(k)
		if !nv.HasComputed() && equal(a, a.effective(ov), a.effective(nv)) {
			continue
		}
		kind := p.Update
		switch {
		case ov.IsNull() && !nv.IsNull():
			kind = p.Add
		case nv.IsNull():
			kind = p.Delete
		}
		if a.ForceNew {
			kind = map[p.DiffKind]p.DiffKind{p.Add: p.AddReplace, p.Delete: p.DeleteReplace, p.Update: p.UpdateReplace}[kind]
		}
		diff[k] = p.PropertyDiff{Kind: kind, InputDiff: false}
	}
	return p.DiffResponse{HasChanges: len(diff) > 0, DetailedDiff: diff}
}

func (s Schema) keys() []string {
	keys := make([]string, 0, len(s))
	for k := range s {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// equal compares values without their secretness; a Set without order.
func equal(a Attr, x, y property.Value) bool {
	x, y = Plain(x), Plain(y)
	if a.Kind == Set && x.IsArray() && y.IsArray() {
		xs, xok := sortedStrings(x.AsArray())
		ys, yok := sortedStrings(y.AsArray())
		if xok && yok {
			return slices.Equal(xs, ys)
		}
	}
	return x.Equals(y)
}

func sortedStrings(a property.Array) ([]string, bool) {
	out := []string{}
	for _, e := range a.All {
		e = Plain(e)
		if !e.IsString() {
			return nil, false
		}
		out = append(out, e.AsString())
	}
	sort.Strings(out)
	return out, true
}

// Plain is v without secret markers, at any depth.
func Plain(v property.Value) property.Value {
	v = v.WithSecret(false)
	switch {
	case v.IsArray():
		elems := v.AsArray().AsSlice()
		for i, e := range elems {
			elems[i] = Plain(e)
		}
		return property.WithGoValue(v, property.NewArray(elems))
	case v.IsMap():
		m := map[string]property.Value{}
		for k, e := range v.AsMap().All {
			m[k] = Plain(e)
		}
		return property.WithGoValue(v, property.NewMap(m))
	}
	return v
}
