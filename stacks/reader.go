package stacks

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/validation"
)

// The readers check one value each and record what is wrong; a section's own rules, which
// relate its keys, are in the section's file.

var (
	hostName = regexp.MustCompile(`^[A-Za-z0-9]([-A-Za-z0-9]*[A-Za-z0-9])?(\.[A-Za-z0-9]([-A-Za-z0-9]*[A-Za-z0-9])?)*$`)
	pgIdent  = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,62}$`)
)

// reader reads typed values and collects problems instead of stopping at the first.
type reader struct {
	src      Source
	dir      string
	problems Problems
}

func (r *reader) fail(key, format string, args ...any) {
	r.problems = append(r.problems, Problem{Key: fullKey(key), Message: fmt.Sprintf(format, args...)})
}

func (r *reader) missing(key, why string) {
	def, _ := keyIndex(key)
	hint := "pulumi config set " + key + " VALUE"
	if def.Secret {
		hint = "pulumi config set --secret " + key + " VALUE"
	}
	if why != "" {
		r.fail(key, "missing: %s (%s)", why, hint)
		return
	}
	r.fail(key, "missing (set it with: %s)", hint)
}

func (r *reader) err() error {
	if len(r.problems) == 0 {
		return nil
	}
	return r.problems.sorted()
}

// raw returns a key's value, or its declared default. set is false when neither exists.
func (r *reader) raw(key string) (value string, set bool) {
	def, known := keyIndex(key)
	if !known {
		panic("stacks: undeclared key " + key)
	}
	if v, ok := r.src.Get(fullKey(key)); ok {
		return v, true
	}
	if def.Default != "" {
		return def.Default, true
	}
	return "", false
}

func (r *reader) str(key string) string {
	v, _ := r.raw(key)
	return strings.TrimSpace(v)
}

func (r *reader) required(key string) string {
	v := r.str(key)
	if v == "" {
		r.missing(key, "")
	}
	return v
}

// secret is a required value that the stack must hold encrypted.
func (r *reader) secret(key string) string {
	v, set := r.raw(key)
	if !set || v == "" {
		r.missing(key, "")
		return ""
	}
	if !r.src.IsSecret(fullKey(key)) {
		r.fail(key, "must be a secret: it is stored in plain text (set it with: pulumi config set --secret %s VALUE)", key)
		return ""
	}
	return v
}

func (r *reader) integer(key string, lo, hi int) int {
	v := r.str(key)
	if v == "" {
		r.missing(key, "")
		return 0
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		r.fail(key, "not an integer: %q", v)
		return 0
	}
	if n < lo || n > hi {
		r.fail(key, "must be between %d and %d, not %d", lo, hi, n)
		return 0
	}
	return n
}

func (r *reader) boolean(key string) bool {
	v := r.str(key)
	switch v {
	case "true":
		return true
	case "false":
		return false
	}
	r.fail(key, "not a boolean (true or false): %q", v)
	return false
}

// oneOf reads key, which must be one of options; T lets the options be a typed enum.
func oneOf[T ~string](r *reader, key string, options ...T) T {
	names := make([]string, len(options))
	for i, o := range options {
		names[i] = string(o)
	}
	v := r.str(key)
	if v == "" {
		r.missing(key, "one of "+strings.Join(names, ", "))
		return ""
	}
	for _, o := range options {
		if v == string(o) {
			return o
		}
	}
	r.fail(key, "must be one of %s, not %q", strings.Join(names, ", "), v)
	return ""
}

// host accepts a DNS name or an IP address.
func (r *reader) host(key string, required bool) string { return r.hostPort(key, required, false) }

// hostPort accepts a DNS name or an IP address, with a :port when withPort.
func (r *reader) hostPort(key string, required, withPort bool) string {
	v := r.str(key)
	if v == "" {
		if required {
			r.missing(key, "")
		}
		return ""
	}
	h := v
	if hh, port, err := net.SplitHostPort(v); err == nil && withPort {
		if p, err := strconv.Atoi(port); err != nil || p < 1 || p > 65535 {
			r.fail(key, "not a valid host name or IP address: %q", v)
			return ""
		}
		h = hh
	}
	if net.ParseIP(h) == nil && (!hostName.MatchString(h) || len(h) > 253) {
		r.fail(key, "not a valid host name or IP address: %q", v)
		return ""
	}
	return v
}

// isDNSLabel, isDNSSubdomain and isQuantity are Kubernetes' own rules for names and quantities.
func isDNSLabel(s string) bool     { return len(validation.IsDNS1123Label(s)) == 0 }
func isDNSSubdomain(s string) bool { return len(validation.IsDNS1123Subdomain(s)) == 0 }
func isQuantity(s string) bool {
	_, err := resource.ParseQuantity(s)
	return err == nil
}

func (r *reader) dnsLabel(key string, max int) string {
	v := r.str(key)
	if v == "" {
		r.missing(key, "")
		return ""
	}
	if !isDNSLabel(v) || len(v) > max {
		r.fail(key, "must be a lowercase DNS label of at most %d characters (a-z, 0-9, -), not %q", max, v)
		return ""
	}
	return v
}

func (r *reader) dnsSubdomain(key string, required bool) string {
	v := r.str(key)
	if v == "" {
		if required {
			r.missing(key, "")
		}
		return ""
	}
	if !isDNSSubdomain(v) {
		r.fail(key, "must be a lowercase Kubernetes name (a-z, 0-9, - and .), not %q", v)
		return ""
	}
	return v
}

func (r *reader) pgIdent(key string) string {
	v := r.str(key)
	if v == "" {
		r.missing(key, "")
		return ""
	}
	if !pgIdent.MatchString(v) {
		r.fail(key, "must be a lowercase PostgreSQL identifier (a-z, 0-9, _; at most 63), not %q", v)
		return ""
	}
	return v
}

func (r *reader) quantity(key string) string {
	v := r.str(key)
	if v != "" && !isQuantity(v) {
		r.fail(key, "not a Kubernetes quantity (like 250m, 512Mi or 1Gi): %q", v)
		return ""
	}
	return v
}

// notAbove reports a request above its limit, which Kubernetes would refuse only when the
// release is already being applied.
func (r *reader) notAbove(reqKey, req, limitKey, limit string) {
	if req == "" || limit == "" {
		return
	}
	rq, err1 := resource.ParseQuantity(req)
	lq, err2 := resource.ParseQuantity(limit)
	if err1 != nil || err2 != nil {
		return // the quantity check has reported it
	}
	if rq.Cmp(lq) > 0 {
		r.fail(reqKey, "%s is above inter-hub:%s (%s); a request may not exceed its limit", req, limitKey, limit)
	}
}

// list accepts a JSON list of strings, or one string split on spaces.
func (r *reader) list(key string) []string {
	v := r.str(key)
	if v == "" {
		r.missing(key, "")
		return nil
	}
	if strings.HasPrefix(v, "[") {
		var out []string
		if err := jsonUnmarshal(v, &out); err != nil || len(out) == 0 {
			r.fail(key, "must be a non-empty list of strings")
			return nil
		}
		for _, s := range out {
			if strings.TrimSpace(s) == "" {
				r.fail(key, "must not contain empty strings")
				return nil
			}
		}
		return out
	}
	return strings.Fields(v)
}

// labels accepts a mapping of Kubernetes label keys to values.
func (r *reader) labels(key string) map[string]string {
	v := r.str(key)
	if v == "" {
		return nil
	}
	var out map[string]string
	if err := jsonUnmarshal(v, &out); err != nil {
		r.fail(key, "must be a mapping of node label to value")
		return nil
	}
	for k, val := range out {
		if len(validation.IsQualifiedName(k)) > 0 || len(validation.IsValidLabelValue(val)) > 0 {
			r.fail(key, "not a valid label %q: %q", k, val)
			return nil
		}
	}
	return out
}

// resolve returns the configured path and its absolute form (relative to the project directory,
// with a leading ~/ meaning the user's home).
func (r *reader) resolve(path string) string {
	if rest, ok := strings.CutPrefix(path, "~/"); ok {
		if home, err := os.UserHomeDir(); err == nil {
			return filepath.Join(home, rest)
		}
	}
	if filepath.IsAbs(path) {
		return filepath.Clean(path)
	}
	return filepath.Join(r.dir, path)
}

// file reads a required file. ok is false (with a problem recorded) when it cannot be read.
func (r *reader) file(key string) (path, abs string, content []byte, ok bool) {
	path = r.required(key)
	if path == "" {
		return "", "", nil, false
	}
	abs = r.resolve(path)
	content, err := os.ReadFile(abs)
	if err != nil {
		r.fail(key, "cannot read %s: %s", path, osReason(err))
		return "", "", nil, false
	}
	return path, abs, content, true
}

func (r *reader) directory(key string) (path, abs string, ok bool) {
	path = r.required(key)
	if path == "" {
		return "", "", false
	}
	abs = r.resolve(path)
	st, err := os.Stat(abs)
	if err != nil {
		r.fail(key, "cannot read %s: %s", path, osReason(err))
		return "", "", false
	}
	if !st.IsDir() {
		r.fail(key, "%s: not a directory", path)
		return "", "", false
	}
	return path, abs, true
}

// osReason is the short cause of a file error, without the path that the message already has.
func osReason(err error) string {
	var pe *os.PathError
	if ok := asPathError(err, &pe); ok {
		return pe.Err.Error()
	}
	return err.Error()
}

// unknownKeys reports keys of this project that the table does not declare (usually typos).
func (r *reader) unknownKeys() {
	for _, full := range r.src.Keys() {
		name, ours := shortKey(full)
		if !ours {
			continue
		}
		if _, known := keyIndex(name); known {
			continue
		}
		if s := suggest(name); s != "" {
			r.problems = append(r.problems, Problem{Key: full, Message: "unknown key (did you mean " + fullKey(s) + "?)"})
		} else {
			r.problems = append(r.problems, Problem{Key: full, Message: "unknown key (docs/CONFIG.md lists the keys)"})
		}
	}
}
