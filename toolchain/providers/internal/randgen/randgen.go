// Package randgen generates passwords and identifiers from a cryptographic
// random source, following the rules of the random provider's RandomPassword
// and RandomId resources.
package randgen

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/big"
)

// Character classes, as upstream defines them.
const (
	UpperChars     = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	LowerChars     = "abcdefghijklmnopqrstuvwxyz"
	NumericChars   = "0123456789"
	DefaultSpecial = "!@#$%&*()-_=+[]{}<>:?"
)

// PasswordRules are the inputs that shape a generated password.
type PasswordRules struct {
	Length                                     int
	Upper, Lower, Numeric, Special             bool
	MinUpper, MinLower, MinNumeric, MinSpecial int
	// OverrideSpecial replaces DefaultSpecial when non-empty.
	OverrideSpecial string
}

// Problem is a rule violation tied to the input property it concerns.
type Problem struct {
	Property string
	Reason   string
}

func (p Problem) Error() string { return p.Property + ": " + p.Reason }

// Validate reports every rule violation, so a user sees all of them at once.
func (r PasswordRules) Validate() []Problem {
	var out []Problem
	if r.Length < 1 {
		out = append(out, Problem{"length", fmt.Sprintf("must be at least 1, got %d", r.Length)})
	}
	mins := []struct {
		name string
		v    int
	}{{"minUpper", r.MinUpper}, {"minLower", r.MinLower}, {"minNumeric", r.MinNumeric}, {"minSpecial", r.MinSpecial}}
	sum := 0
	for _, m := range mins {
		if m.v < 0 {
			out = append(out, Problem{m.name, fmt.Sprintf("must not be negative, got %d", m.v)})
			continue
		}
		sum += m.v
	}
	if r.Length >= 1 && sum > r.Length {
		out = append(out, Problem{"length", fmt.Sprintf(
			"must be at least minUpper + minLower + minNumeric + minSpecial = %d, got %d", sum, r.Length)})
	}
	if r.Length > sum && r.charset() == "" {
		out = append(out, Problem{"special", "at least one of upper, lower, numeric and special must be true"})
	}
	return out
}

func (r PasswordRules) specials() string {
	if r.OverrideSpecial != "" {
		return r.OverrideSpecial
	}
	return DefaultSpecial
}

func (r PasswordRules) charset() string {
	s := ""
	if r.Upper {
		s += UpperChars
	}
	if r.Lower {
		s += LowerChars
	}
	if r.Numeric {
		s += NumericChars
	}
	if r.Special {
		s += r.specials()
	}
	return s
}

// Password draws a password from src (crypto/rand.Reader when nil). The
// minimum counts are drawn from their own class first, as upstream does (even
// for a class that is otherwise disabled), the rest from every enabled class,
// and the result is shuffled. Lengths count characters, not bytes, and
// characters are drawn whole, so a multi-byte overrideSpecial gives valid
// UTF-8 (terraform-provider-random internal/random/string.go draws runes).
func Password(r PasswordRules, src io.Reader) (string, error) {
	if problems := r.Validate(); len(problems) > 0 {
		return "", problems[0]
	}
	if src == nil {
		src = rand.Reader
	}
	out := make([]rune, 0, r.Length)
	for _, m := range []struct {
		set string
		n   int
	}{{UpperChars, r.MinUpper}, {LowerChars, r.MinLower}, {NumericChars, r.MinNumeric}, {r.specials(), r.MinSpecial}} {
		b, err := pick(src, m.set, m.n)
		if err != nil {
			return "", err
		}
		out = append(out, b...)
	}
	b, err := pick(src, r.charset(), r.Length-len(out))
	if err != nil {
		return "", err
	}
	out = append(out, b...)
	// Fisher-Yates, so the minimum characters do not sit at the front.
	for i := len(out) - 1; i > 0; i-- {
		j, err := intn(src, i+1)
		if err != nil {
			return "", err
		}
		out[i], out[j] = out[j], out[i]
	}
	return string(out), nil
}

func pick(src io.Reader, set string, n int) ([]rune, error) {
	if n <= 0 {
		return nil, nil
	}
	runes := []rune(set)
	if len(runes) == 0 {
		return nil, errors.New("empty character set")
	}
	out := make([]rune, n)
	for i := range out {
		j, err := intn(src, len(runes))
		if err != nil {
			return nil, err
		}
		out[i] = runes[j]
	}
	return out, nil
}

func intn(src io.Reader, n int) (int, error) {
	v, err := rand.Int(src, big.NewInt(int64(n)))
	if err != nil {
		return 0, fmt.Errorf("reading random source: %w", err)
	}
	return int(v.Int64()), nil
}

// ID is a random identifier in the encodings RandomId exposes.
type ID struct {
	Bytes []byte
}

// NewID reads n random bytes from src (crypto/rand.Reader when nil).
func NewID(n int, src io.Reader) (ID, error) {
	if n < 1 {
		return ID{}, fmt.Errorf("byteLength must be at least 1, got %d", n)
	}
	if src == nil {
		src = rand.Reader
	}
	b := make([]byte, n)
	if _, err := io.ReadFull(src, b); err != nil {
		return ID{}, fmt.Errorf("reading random source: %w", err)
	}
	return ID{Bytes: b}, nil
}

// ParseB64URL decodes the unpadded URL-safe base64 form used as RandomId's ID.
func ParseB64URL(s string) (ID, error) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return ID{}, fmt.Errorf("%q is not unpadded URL-safe base64: %w", s, err)
	}
	if len(b) == 0 {
		return ID{}, errors.New("empty id")
	}
	return ID{Bytes: b}, nil
}

// B64URL is unpadded URL-safe base64.
func (id ID) B64URL() string { return base64.RawURLEncoding.EncodeToString(id.Bytes) }

// B64Std is padded standard base64.
func (id ID) B64Std() string { return base64.StdEncoding.EncodeToString(id.Bytes) }

// Hex is lower-case hex, two digits a byte.
func (id ID) Hex() string { return hex.EncodeToString(id.Bytes) }

// Dec is the bytes read as a big-endian unsigned integer, in decimal.
func (id ID) Dec() string { return new(big.Int).SetBytes(id.Bytes).String() }
