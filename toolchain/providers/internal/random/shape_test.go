package random

import (
	"testing"

	p "github.com/pulumi/pulumi-go-provider"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/property"
)

func val(v any) property.Value {
	return resource.FromResourcePropertyValue(resource.NewPropertyValue(v))
}

// keepersOf is an input or state map holding keepers k (absent when k is nil).
func keepersOf(base property.Map, k any) property.Map {
	if k == nil {
		return base
	}
	return base.Set("keepers", val(k))
}

// The keepers cases of upstream's acceptance tests
// (terraform-provider-random internal/provider/resource_password_test.go,
// TestAccResourcePassword_Keepers_Keep_* and _Replace_*): the first step's
// config becomes the state, the second step's the new inputs.
func TestPasswordDiffKeepersAsUpstream(t *testing.T) {
	null := map[string]any{"key": nil}
	for _, tc := range []struct {
		name     string
		old, new any
		change   bool
		replace  bool
	}{
		{"Keep_EmptyMap", map[string]any{}, map[string]any{}, false, false},
		{"Keep_EmptyMapToNullValue", map[string]any{}, null, true, false},
		{"Keep_NullMap", nil, nil, false, false},
		{"Keep_NullMapToNullValue", nil, null, true, false},
		{"Keep_NullValue", null, null, false, false},
		{"Keep_NullValues", map[string]any{"key1": nil, "key2": nil}, map[string]any{"key1": nil, "key2": nil}, false, false},
		{"Keep_Value", map[string]any{"key": "123"}, map[string]any{"key": "123"}, false, false},
		{"Keep_Values", map[string]any{"key1": "123", "key2": "456"}, map[string]any{"key1": "123", "key2": "456"}, false, false},
		{"Replace_EmptyMapToValue", map[string]any{}, map[string]any{"key": "123"}, true, true},
		{"Replace_NullMapToValue", nil, map[string]any{"key": "123"}, true, true},
		{"Replace_NullValueToValue", null, map[string]any{"key": "123"}, true, true},
		{"Replace_ValueToEmptyMap", map[string]any{"key": "123"}, map[string]any{}, true, true},
		{"Replace_ValueToNullMap", map[string]any{"key": "123"}, nil, true, true},
		{"Replace_ValueToNullValue", map[string]any{"key": "123"}, null, true, true},
		{"Replace_ValueToNewValue", map[string]any{"key": "123"}, map[string]any{"key": "456"}, true, true},
		// The case: no keepers, then an empty map: an update.
		{"NullMapToEmptyMap", nil, map[string]any{}, true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			inputs := property.NewMap(map[string]property.Value{"length": property.New(12.0)})
			state := plannedInputs(keepersOf(inputs, tc.old))
			got := passwordDiff(state, keepersOf(inputs, tc.new))
			d, changed := got.DetailedDiff["keepers"]
			if changed != tc.change || got.HasChanges != tc.change || len(got.DetailedDiff) > 1 {
				t.Fatalf("diff %v, want a change: %v", got.DetailedDiff, tc.change)
			}
			if replace := d.Kind == p.UpdateReplace || d.Kind == p.AddReplace || d.Kind == p.DeleteReplace; changed && replace != tc.replace {
				t.Errorf("kind %v, want replace: %v", d.Kind, tc.replace)
			}
		})
	}
}

func TestPasswordDiffOtherAttributes(t *testing.T) {
	base := property.NewMap(map[string]property.Value{"length": property.New(32.0), "overrideSpecial": property.New("-_")})
	state := plannedInputs(base)
	for _, tc := range []struct {
		name string
		news property.Map
		want map[string]p.DiffKind
	}{
		{"same inputs", base, nil},
		{"defaults made explicit", base.Set("special", val(true)).Set("numeric", val(true)).Set("minUpper", val(0.0)), nil},
		{"number alone stands for numeric", base.Set("number", val(true)), nil},
		{"length replaces", base.Set("length", val(33.0)), map[string]p.DiffKind{"length": p.UpdateReplace}},
		{"a class switch replaces", base.Set("upper", val(false)), map[string]p.DiffKind{"upper": p.UpdateReplace}},
		{"numeric off replaces, number follows", base.Set("numeric", val(false)),
			map[string]p.DiffKind{"numeric": p.UpdateReplace, "number": p.UpdateReplace}},
		{"a new overrideSpecial replaces", base.Set("overrideSpecial", val("!")), map[string]p.DiffKind{"overrideSpecial": p.UpdateReplace}},
		{"an unknown length replaces", base.Set("length", property.New(property.Computed)), map[string]p.DiffKind{"length": p.UpdateReplace}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := passwordDiff(state, tc.news)
			if len(got.DetailedDiff) != len(tc.want) || got.HasChanges != (len(tc.want) > 0) {
				t.Fatalf("diff %v, want %v", got.DetailedDiff, tc.want)
			}
			for k, kind := range tc.want {
				if got.DetailedDiff[k].Kind != kind {
					t.Errorf("%s: %v, want %v", k, got.DetailedDiff[k].Kind, kind)
				}
			}
		})
	}
	// overrideSpecial "" to null updates in place; anything else to null replaces
	// (RequiresReplaceUnlessEmptyStringToNull).
	empty := plannedInputs(property.NewMap(map[string]property.Value{"length": property.New(8.0), "overrideSpecial": property.New("")}))
	if d := passwordDiff(empty, property.NewMap(map[string]property.Value{"length": property.New(8.0)})); d.DetailedDiff["overrideSpecial"].Kind != p.Delete {
		t.Errorf(`overrideSpecial "" to null: %v, want an in-place update`, d.DetailedDiff)
	}
	if d := passwordDiff(state, property.NewMap(map[string]property.Value{"length": property.New(32.0)})); d.DetailedDiff["overrideSpecial"].Kind != p.DeleteReplace {
		t.Errorf(`overrideSpecial "-_" to null: %v, want a replacement`, d.DetailedDiff)
	}
}
