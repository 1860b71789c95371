package pgpoolusers

import (
	"slices"
	"strings"
	"testing"
)

func TestSplitLikeTheImage(t *testing.T) {
	got := Split(" a,b;c  d\n,,e ")
	if want := []string{"a", "b", "c", "d", "e"}; !slices.Equal(got, want) {
		t.Errorf("Split = %q, want %q", got, want)
	}
	if got := Split(""); len(got) != 0 {
		t.Errorf("Split of nothing = %q", got)
	}
}

func TestMergeKeepsOtherUsers(t *testing.T) {
	for _, c := range []struct {
		name                 string
		users, words         string
		wantUsers, wantWords string
	}{
		{"empty Secret", "", "", "interhub", "new"},
		{"another user first", "other_app", "otherpw", "other_app,interhub", "otherpw,new"},
		{"rotation in place", "a;interhub;b", "pa;old;pb", "a,interhub,b", "pa,new,pb"},
		{"a duplicate of ours is dropped", "interhub,a,interhub", "old1,pa,old2", "interhub,a", "new,pa"},
	} {
		u, w, err := Merge(c.users, c.words, "interhub", "new")
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if u != c.wantUsers || w != c.wantWords {
			t.Errorf("%s: got %q / %q, want %q / %q", c.name, u, w, c.wantUsers, c.wantWords)
		}
	}
}

func TestMergeRefusesWhatPgpoolCouldNotRead(t *testing.T) {
	for _, c := range []struct{ users, words, user, password, want string }{
		{"a,b", "secret-of-a", "interhub", "pw", "differ in length (2 and 1)"},
		{"", "", "inter hub", "pw", `user "inter hub" cannot be listed`},
		{"", "", "interhub", "p,w", "the password of interhub cannot be listed"},
		{"", "", "interhub", "", "the password of interhub cannot be listed"},
	} {
		_, _, err := Merge(c.users, c.words, c.user, c.password)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Merge(%q, %q, %q): %v, want %q", c.users, c.words, c.user, err, c.want)
		}
		if err != nil && (strings.Contains(err.Error(), "secret-of-a") || strings.Contains(err.Error(), "p,w")) {
			t.Errorf("the error shows a password: %v", err)
		}
	}
}
