package appenv

import (
	"slices"
	"testing"
)

func TestClashes(t *testing.T) {
	if got := Clashes(map[string]string{"SMTP_HOST": "mail", "LOG_LEVEL": "info"}); len(got) != 0 {
		t.Errorf("no reserved variable: got %q", got)
	}
	got := Clashes(map[string]string{BaseURL: "x", "SMTP_HOST": "mail", DatabaseURL: "y"})
	if want := []string{DatabaseURL, BaseURL}; !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
}
