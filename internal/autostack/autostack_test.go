package autostack

import (
	"reflect"
	"testing"
)

func TestUnquoteMessage(t *testing.T) {
	got := unquoteMessage([]string{"up", "--yes", `--message="rollback to update 1 (app revision \"v1\")"`, "--message-file=x"})
	want := []string{"up", "--yes", `--message=rollback to update 1 (app revision "v1")`, "--message-file=x"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %q, want %q", got, want)
	}
	// A message not quoted as the API quotes it is left as given.
	if got := unquoteMessage([]string{"--message=plain"}); got[0] != "--message=plain" {
		t.Fatalf("got %q", got)
	}
}
