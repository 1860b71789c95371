// Package previewsummary turns the JSON of `pulumi preview --diff --json` into a short Markdown
// summary for a pull request: counts by operation, replaced resources with the keys that force
// the replacement, changed values, and errors. Secret values never reach the summary.
package previewsummary

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/urn"
)

// Pulumi's markers inside serialized property values (sdk/go/common/resource/sig).
const (
	sigKey        = "4dabf18193072939515e22adb298388d"
	secretSig     = "1b47061264138c4ac30d75fd1eb44270"
	unknownValue  = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
	secretMask    = "[secret]"
	unknownMask   = "(known after apply)"
	maxValueChars = 120
	foldAfter     = 15
)

// Preview is the part of Pulumi's preview digest the summary reads.
type Preview struct {
	Config        map[string]string `json:"config"`
	Steps         []Step            `json:"steps"`
	Diagnostics   []Diagnostic      `json:"diagnostics"`
	ChangeSummary map[string]int    `json:"changeSummary"`
	MaybeCorrupt  bool              `json:"maybeCorrupt"`
}

// Step is one planned resource operation.
type Step struct {
	Op             string                  `json:"op"`
	URN            string                  `json:"urn"`
	OldState       *State                  `json:"oldState"`
	NewState       *State                  `json:"newState"`
	DiffReasons    []string                `json:"diffReasons"`
	ReplaceReasons []string                `json:"replaceReasons"`
	DetailedDiff   map[string]PropertyDiff `json:"detailedDiff"`
}

// State is a resource's serialized state.
type State struct {
	Type                    string         `json:"type"`
	Inputs                  map[string]any `json:"inputs"`
	Outputs                 map[string]any `json:"outputs"`
	AdditionalSecretOutputs []string       `json:"additionalSecretOutputs"`
}

// PropertyDiff is the kind of one property's change.
type PropertyDiff struct {
	Kind      string `json:"kind"`
	InputDiff bool   `json:"inputDiff"`
}

// Diagnostic is a message the preview emitted.
type Diagnostic struct {
	URN      string `json:"urn"`
	Message  string `json:"message"`
	Severity string `json:"severity"`
}

// Parse reads a preview digest.
func Parse(r io.Reader) (*Preview, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("reading the preview: %w", err)
	}
	if len(strings.TrimSpace(string(data))) == 0 {
		return nil, errors.New("the preview JSON is empty: the preview failed before it produced output")
	}
	var p Preview
	if err := json.Unmarshal(data, &p); err != nil {
		return nil, fmt.Errorf("the preview output is not the JSON of `pulumi preview --json`: %w", err)
	}
	return &p, nil
}

// Errors returns the error diagnostics.
func (p *Preview) Errors() []Diagnostic {
	var out []Diagnostic
	for _, d := range p.Diagnostics {
		if d.Severity == "error" {
			out = append(out, d)
		}
	}
	return out
}

// Counts returns the number of resources per operation, "same" included. Pulumi's change
// summary is used when present; otherwise the steps are counted (a failed preview has none).
func (p *Preview) Counts() map[string]int {
	if len(p.ChangeSummary) > 0 {
		return p.ChangeSummary
	}
	c := map[string]int{}
	for _, s := range p.Steps {
		if s.URN == "" || isStack(s) {
			continue
		}
		c[s.Op]++
	}
	return c
}

// Changes reports whether the preview plans anything but "same".
func (p *Preview) Changes() bool {
	for op, n := range p.Counts() {
		if op != "same" && n > 0 {
			return true
		}
	}
	return false
}

func isStack(s Step) bool { typ, _ := typeAndName(s.URN); return typ == "pulumi:pulumi:Stack" }

// opOrder is how operations are listed, most consequential first.
var opOrder = []string{"delete", "replace", "delete-replaced", "create-replacement", "discard", "discard-replaced",
	"update", "create", "import", "import-replacement", "read", "read-replacement", "refresh", "remove-pending-replace", "same"}

func opRank(op string) int {
	for i, o := range opOrder {
		if o == op {
			return i
		}
	}
	return len(opOrder)
}

// Markdown writes the summary. title heads it (for example the stack's name).
func (p *Preview) Markdown(w io.Writer, title string) {
	fmt.Fprintf(w, "### Pulumi preview: %s\n\n", title)
	errs := p.Errors()
	switch {
	case len(errs) > 0:
		fmt.Fprintf(w, "**The preview failed with %d error(s).**\n\n", len(errs))
	case !p.Changes():
		fmt.Fprint(w, "No changes.\n\n")
	}

	counts := p.Counts()
	ops := make([]string, 0, len(counts))
	for op, n := range counts {
		if n > 0 {
			ops = append(ops, op)
		}
	}
	sort.Slice(ops, func(i, j int) bool { return opRank(ops[i]) < opRank(ops[j]) })
	if len(ops) > 0 {
		fmt.Fprintln(w, "| operation | resources |")
		fmt.Fprintln(w, "|---|---:|")
		for _, op := range ops {
			fmt.Fprintf(w, "| %s | %d |\n", op, counts[op])
		}
		fmt.Fprintln(w)
	}

	var replaced, changed []Step
	for _, s := range p.Steps {
		if isStack(s) {
			continue
		}
		switch s.Op {
		case "replace", "create-replacement", "import-replacement", "read-replacement":
			if s.Op == "replace" || !hasReplace(p.Steps, s.URN) {
				replaced = append(replaced, s)
			}
		case "delete-replaced", "discard-replaced", "same", "read", "refresh":
		default:
			changed = append(changed, s)
		}
	}
	if len(replaced) > 0 {
		fmt.Fprintf(w, "#### :warning: %d resource(s) will be REPLACED\n\n", len(replaced))
		for _, s := range replaced {
			writeStep(w, s)
		}
		fmt.Fprintln(w)
	}
	if len(changed) > 0 {
		fmt.Fprintln(w, "#### Other changes")
		fmt.Fprintln(w)
		// A long list (a fresh stack) folds away; Gitea renders <details>.
		fold := len(changed) > foldAfter
		if fold {
			fmt.Fprintf(w, "<details><summary>%d resources</summary>\n\n", len(changed))
		}
		for _, s := range changed {
			writeStep(w, s)
		}
		if fold {
			fmt.Fprint(w, "\n</details>\n")
		}
		fmt.Fprintln(w)
	}
	if len(errs) > 0 {
		fmt.Fprintln(w, "#### Errors")
		fmt.Fprintln(w)
		for _, d := range errs {
			if d.URN != "" {
				typ, name := typeAndName(d.URN)
				fmt.Fprintf(w, "`%s` (%s):\n", name, typ)
			}
			fmt.Fprintf(w, "```\n%s\n```\n\n", fence(d.Message))
		}
	}
	if p.MaybeCorrupt {
		fmt.Fprint(w, "**Pulumi reports that the state may be corrupt.**\n\n")
	}
}

func hasReplace(steps []Step, u string) bool {
	for _, s := range steps {
		if s.URN == u && s.Op == "replace" {
			return true
		}
	}
	return false
}

// writeStep prints one resource: operation, name, type, the keys involved and old -> new values.
func writeStep(w io.Writer, s Step) {
	typ, name := typeAndName(s.URN)
	fmt.Fprintf(w, "- **%s** `%s` (%s)", s.Op, name, typ)
	reasons := replaceReasons(s)
	if len(reasons) > 0 {
		fmt.Fprintf(w, ", replaced because of: %s", codeList(reasons))
	}
	keys := diffKeys(s)
	if len(keys) > 0 && !(len(reasons) > 0 && sameSet(keys, reasons)) {
		fmt.Fprintf(w, ", changed: %s", codeList(keys))
	}
	fmt.Fprintln(w)
	if s.Op == "delete" || s.Op == "create" {
		return
	}
	for _, k := range keys {
		oldV, oldOK := lookup(s.OldState, k)
		newV, newOK := lookup(s.NewState, k)
		if !oldOK && !newOK {
			continue
		}
		oldS, newS := flat(oldV, oldOK), flat(newV, newOK)
		if !newOK && s.DetailedDiff[k].Kind != "delete" && s.DetailedDiff[k].Kind != "delete-replace" {
			// A new value that the preview leaves out is one that only the update computes.
			newS = unknownMask
		}
		oldS, newS = around(oldS, newS)
		fmt.Fprintf(w, "  - `%s`: %s → %s\n", k, code(oldS), code(newS))
	}
}

// replaceReasons are the keys that force a replacement: the provider's, else the properties
// whose detailed diff is a replacing one (some providers report only those).
func replaceReasons(s Step) []string {
	if len(s.ReplaceReasons) > 0 {
		return s.ReplaceReasons
	}
	var out []string
	for k, d := range s.DetailedDiff {
		if strings.HasSuffix(d.Kind, "-replace") {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

// diffKeys are the property paths that differ: the detailed diff's, else the diff reasons.
func diffKeys(s Step) []string {
	var keys []string
	for k := range s.DetailedDiff {
		keys = append(keys, k)
	}
	if len(keys) == 0 {
		keys = append(keys, s.DiffReasons...)
	}
	sort.Strings(keys)
	return keys
}

func sameSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	seen := map[string]bool{}
	for _, x := range a {
		seen[x] = true
	}
	for _, x := range b {
		if !seen[x] {
			return false
		}
	}
	return true
}

func codeList(keys []string) string {
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = "`" + k + "`"
	}
	return strings.Join(parts, ", ")
}

// lookup finds a property path (a.b[0].c, or ["quoted.key"]) in a state's inputs, falling back
// to its outputs. A value under a secret anywhere on the path, or an output the state lists as
// secret, is returned masked.
func lookup(st *State, path string) (any, bool) {
	if st == nil {
		return nil, false
	}
	elems := splitPath(path)
	if len(elems) == 0 {
		return nil, false
	}
	for _, props := range []map[string]any{st.Inputs, st.Outputs} {
		if props == nil {
			continue
		}
		var cur any = props
		ok := true
		for i, e := range elems {
			if isSecret(cur) {
				return secretMask, true
			}
			switch c := cur.(type) {
			case map[string]any:
				cur, ok = c[e]
			case []any:
				var idx int
				if _, err := fmt.Sscanf(e, "%d", &idx); err != nil || idx < 0 || idx >= len(c) {
					ok = false
				} else {
					cur = c[idx]
				}
			default:
				ok = false
			}
			if !ok {
				break
			}
			if i == 0 && contains(st.AdditionalSecretOutputs, e) {
				return secretMask, true
			}
		}
		if ok {
			return cur, true
		}
	}
	return nil, false
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// splitPath splits a Pulumi property path: dots, [index] and ["quoted key"].
func splitPath(p string) []string {
	var out []string
	var cur strings.Builder
	flush := func() {
		if cur.Len() > 0 {
			out = append(out, cur.String())
			cur.Reset()
		}
	}
	for i := 0; i < len(p); i++ {
		switch c := p[i]; c {
		case '.':
			flush()
		case '[':
			flush()
			end := strings.IndexByte(p[i:], ']')
			if end < 0 {
				return nil
			}
			inner := p[i+1 : i+end]
			if len(inner) >= 2 && inner[0] == '"' && inner[len(inner)-1] == '"' {
				var s string
				if json.Unmarshal([]byte(inner), &s) == nil {
					inner = s
				}
			}
			out = append(out, inner)
			i += end
		default:
			cur.WriteByte(c)
		}
	}
	flush()
	return out
}

func isSecret(v any) bool {
	m, ok := v.(map[string]any)
	return ok && m[sigKey] == secretSig
}

// Mask returns v with every secret replaced by "[secret]" and unknowns spelled out.
func Mask(v any) any {
	switch x := v.(type) {
	case map[string]any:
		if isSecret(x) {
			return secretMask
		}
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = Mask(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = Mask(e)
		}
		return out
	case string:
		if x == unknownValue {
			return unknownMask
		}
		return x
	default:
		return v
	}
}

// flat renders a value on one line with secrets masked; "" marks an absent value.
func flat(v any, ok bool) string {
	if !ok {
		return absent
	}
	switch x := Mask(v).(type) {
	case string:
		if x == secretMask || x == unknownMask {
			return x
		}
		if x == "" {
			return `""`
		}
		return strings.Join(strings.Fields(x), " ")
	default:
		b, err := json.Marshal(x)
		if err != nil {
			return "?"
		}
		return string(b)
	}
}

// absent stands for a property that is not there.
const absent = "\x00absent"

// around shortens two long values to where they differ, so that a change at the end of a long
// script is visible.
func around(a, b string) (string, string) {
	if len(a) <= maxValueChars && len(b) <= maxValueChars {
		return a, b
	}
	i := 0
	for i < len(a) && i < len(b) && a[i] == b[i] {
		i++
	}
	start := 0
	if i > 40 {
		start = i - 40
	}
	cut := func(s string) string {
		if s == absent || s == secretMask || s == unknownMask || start >= len(s) {
			return s
		}
		out := s[start:]
		if len(out) > maxValueChars {
			out = out[:maxValueChars] + "…"
		}
		if start > 0 {
			out = "…" + out
		}
		return out
	}
	return cut(a), cut(b)
}

// code renders a flat value for Markdown.
func code(s string) string {
	switch s {
	case absent:
		// Either removed, or computed during the update (the preview omits such values).
		return "_(not set in the preview)_"
	case secretMask, unknownMask:
		return s
	}
	return "`" + strings.ReplaceAll(s, "`", "'") + "`"
}

// show renders one value (masked, shortened) for Markdown.
func show(v any, ok bool) string {
	s, _ := around(flat(v, ok), "")
	return code(s)
}

// fence makes text safe inside a fenced code block.
func fence(text string) string {
	return strings.ReplaceAll(strings.TrimSpace(text), "```", "'''")
}

// typeAndName reads a URN (urn:pulumi:stack::project::qualified$type::name) with the SDK; a
// string that is no URN has no type and is its own name.
func typeAndName(s string) (string, string) {
	u := urn.URN(s)
	if !u.IsValid() {
		return "", s
	}
	return string(u.Type()), u.Name()
}
