// Package pgpoolusers reads and edits the user lists of bitnami postgresql-ha's custom users
// Secret (pgpool.customUsersSecret). The Secret holds two keys, usernames and passwords, each a
// list; the pgpool image splits both on commas, semicolons and whitespace and pairs them by
// position (PGPOOL_POSTGRES_CUSTOM_USERS and PGPOOL_POSTGRES_CUSTOM_PASSWORDS), and refuses to
// start when their lengths differ.
package pgpoolusers

import (
	"fmt"
	"strings"
	"unicode"
)

// Keys of the Secret, as the chart's Deployment reads them.
const (
	UsernamesKey = "usernames"
	PasswordsKey = "passwords"
)

// Split splits a list the way the pgpool image does (tr ',;' ' ' then word splitting).
func Split(list string) []string {
	return strings.FieldsFunc(list, func(r rune) bool { return r == ',' || r == ';' || unicode.IsSpace(r) })
}

// Merge returns both lists with user's password set: an existing entry for user is updated in
// place (duplicates of it dropped), a missing one appended; every other entry keeps its place
// and value. The lists are joined with commas.
func Merge(usernames, passwords, user, password string) (string, string, error) {
	names, words := Split(usernames), Split(passwords)
	if len(names) != len(words) {
		return "", "", fmt.Errorf("the usernames and passwords lists differ in length (%d and %d), so pgpool cannot pair them; repair the Secret first", len(names), len(words))
	}
	if user == "" || len(Split(user)) != 1 || Split(user)[0] != user {
		return "", "", fmt.Errorf("user %q cannot be listed: it is empty or holds a separator (, ; or whitespace)", user)
	}
	if password == "" || len(Split(password)) != 1 || Split(password)[0] != password {
		return "", "", fmt.Errorf("the password of %s cannot be listed: it is empty or holds a separator (, ; or whitespace)", user)
	}
	outNames, outWords := make([]string, 0, len(names)+1), make([]string, 0, len(names)+1)
	found := false
	for i, n := range names {
		if n == user {
			if found {
				continue
			}
			found = true
			outNames, outWords = append(outNames, n), append(outWords, password)
			continue
		}
		outNames, outWords = append(outNames, n), append(outWords, words[i])
	}
	if !found {
		outNames, outWords = append(outNames, user), append(outWords, password)
	}
	return strings.Join(outNames, ","), strings.Join(outWords, ","), nil
}
