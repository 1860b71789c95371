package randgen

import (
	"bytes"
	"math/big"
	"strings"
	"testing"
	"unicode/utf8"
)

func count(s, set string) int {
	n := 0
	for _, c := range s {
		if strings.ContainsRune(set, c) {
			n++
		}
	}
	return n
}

func TestPasswordHonoursClassesAndMinimums(t *testing.T) {
	r := PasswordRules{Length: 24, Upper: true, Lower: true, Numeric: true, Special: true,
		MinUpper: 3, MinLower: 2, MinNumeric: 4, MinSpecial: 5, OverrideSpecial: "_%"}
	for range 200 {
		pw, err := Password(r, nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(pw) != 24 {
			t.Fatalf("length %d, want 24: %q", len(pw), pw)
		}
		if count(pw, UpperChars) < 3 || count(pw, LowerChars) < 2 || count(pw, NumericChars) < 4 || count(pw, "_%") < 5 {
			t.Fatalf("minimums not met in %q", pw)
		}
		if n := count(pw, UpperChars+LowerChars+NumericChars+"_%"); n != 24 {
			t.Fatalf("%q has characters outside the allowed sets", pw)
		}
	}
}

func TestPasswordDisabledClassesStayOut(t *testing.T) {
	r := PasswordRules{Length: 64, Lower: true, Numeric: true}
	pw, err := Password(r, nil)
	if err != nil {
		t.Fatal(err)
	}
	if count(pw, UpperChars+DefaultSpecial) != 0 {
		t.Fatalf("%q holds upper-case or special characters", pw)
	}
}

func TestPasswordDefaultSpecials(t *testing.T) {
	r := PasswordRules{Length: 40, Special: true, MinSpecial: 40}
	pw, err := Password(r, nil)
	if err != nil {
		t.Fatal(err)
	}
	if count(pw, DefaultSpecial) != 40 {
		t.Fatalf("%q: want only upstream's default specials", pw)
	}
}

// The minimum characters are drawn first; the shuffle must spread them.
func TestPasswordShufflesMinimums(t *testing.T) {
	r := PasswordRules{Length: 16, Lower: true, MinNumeric: 1}
	firstIsDigit := 0
	for range 400 {
		pw, err := Password(r, nil)
		if err != nil {
			t.Fatal(err)
		}
		if strings.ContainsRune(NumericChars, rune(pw[0])) {
			firstIsDigit++
		}
	}
	// Expected about 400/16 = 25; unshuffled it would be 400.
	if firstIsDigit > 80 {
		t.Fatalf("the digit came first %d times out of 400", firstIsDigit)
	}
}

func TestValidate(t *testing.T) {
	cases := []struct {
		name string
		r    PasswordRules
		want []string // properties with problems
	}{
		{"ok", PasswordRules{Length: 8, Lower: true}, nil},
		{"zero length", PasswordRules{Length: 0, Lower: true}, []string{"length"}},
		{"mins exceed length", PasswordRules{Length: 4, Lower: true, MinUpper: 3, MinNumeric: 2}, []string{"length"}},
		{"negative min", PasswordRules{Length: 4, Lower: true, MinSpecial: -1}, []string{"minSpecial"}},
		{"no class", PasswordRules{Length: 4}, []string{"special"}},
		{"no class but mins fill it", PasswordRules{Length: 2, MinUpper: 2}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var got []string
			for _, p := range c.r.Validate() {
				got = append(got, p.Property)
			}
			if strings.Join(got, ",") != strings.Join(c.want, ",") {
				t.Fatalf("problems on %v, want %v", got, c.want)
			}
		})
	}
	if _, err := Password(PasswordRules{Length: 4, MinUpper: 5}, nil); err == nil ||
		!strings.Contains(err.Error(), "length") {
		t.Fatalf("Password with invalid rules: %v", err)
	}
}

func TestIDEncodings(t *testing.T) {
	id := ID{Bytes: []byte{0x00, 0xfb, 0xff, 0x10}}
	if got := id.Hex(); got != "00fbff10" {
		t.Errorf("Hex = %q", got)
	}
	if got := id.B64URL(); got != "APv_EA" {
		t.Errorf("B64URL = %q", got)
	}
	if got := id.B64Std(); got != "APv/EA==" {
		t.Errorf("B64Std = %q", got)
	}
	want := new(big.Int).SetBytes(id.Bytes).String()
	if got := id.Dec(); got != want || got != "16514832" {
		t.Errorf("Dec = %q, want %q", got, want)
	}
	back, err := ParseB64URL(id.B64URL())
	if err != nil || !bytes.Equal(back.Bytes, id.Bytes) {
		t.Errorf("ParseB64URL round trip: %v %v", back, err)
	}
	if _, err := ParseB64URL("not base64!"); err == nil {
		t.Error("ParseB64URL accepted garbage")
	}
}

func TestNewID(t *testing.T) {
	a, err := NewID(16, nil)
	if err != nil || len(a.Bytes) != 16 {
		t.Fatalf("NewID(16) = %v, %v", a, err)
	}
	b, _ := NewID(16, nil)
	if bytes.Equal(a.Bytes, b.Bytes) {
		t.Fatal("two ids are equal")
	}
	if _, err := NewID(0, nil); err == nil {
		t.Fatal("NewID(0) succeeded")
	}
}

// Upstream's acceptance cases for the rules the program uses, from
// terraform-provider-random internal/provider/resource_password_test.go:
// TestAccResourcePassword_Min, _Override and _OverrideSpecialUTF8.
func TestPasswordUpstreamAcceptanceCases(t *testing.T) {
	min := PasswordRules{Length: 12, Upper: true, Lower: true, Numeric: true, Special: true,
		OverrideSpecial: "!#@", MinLower: 2, MinUpper: 3, MinSpecial: 1, MinNumeric: 4}
	for range 100 {
		pw, err := Password(min, nil)
		if err != nil {
			t.Fatal(err)
		}
		if utf8.RuneCountInString(pw) != 12 || count(pw, LowerChars) < 2 || count(pw, UpperChars) < 3 ||
			count(pw, NumericChars) < 4 || count(pw, "!#@") < 1 {
			t.Fatalf("Min: %q breaks the minimums", pw)
		}
	}
	for _, tc := range []struct {
		special, want string
		length        int
	}{{"!", "!!!!", 4}, {"°", "°°°°°°°°°°", 10}} {
		pw, err := Password(PasswordRules{Length: tc.length, Special: true, OverrideSpecial: tc.special}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if pw != tc.want || !utf8.ValidString(pw) {
			t.Errorf("override %q: got %q, want %q", tc.special, pw, tc.want)
		}
	}
}

// A multi-byte overrideSpecial mixed with other classes: the length counts
// characters and every character is whole.
func TestPasswordMultiByteSpecials(t *testing.T) {
	r := PasswordRules{Length: 20, Lower: true, Special: true, OverrideSpecial: "°€✓", MinSpecial: 5}
	for range 100 {
		pw, err := Password(r, nil)
		if err != nil {
			t.Fatal(err)
		}
		if !utf8.ValidString(pw) || utf8.RuneCountInString(pw) != 20 || count(pw, "°€✓") < 5 ||
			count(pw, LowerChars+"°€✓") != 20 {
			t.Fatalf("%q: want 20 whole characters, at least 5 of °€✓", pw)
		}
	}
}
