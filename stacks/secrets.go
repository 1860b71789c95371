package stacks

import (
	"strings"

	"github.com/coulomb-social/inter-hub-deploy/internal/appenv"
	"github.com/coulomb-social/inter-hub-deploy/internal/sopsfile"
)

// Session is the app's session secret's rotation counter.
type Session struct{ Rotation int }

// Secrets is the SOPS file of extra environment variables for the app.
type Secrets struct {
	SopsFile string            // as configured
	Values   map[string]string // decrypted; secret
}

func (r *reader) session() Session { return Session{Rotation: r.integer("session.rotation", 0, 1<<30)} }

// secrets decrypts the SOPS file in-process with the age identity from the environment or,
// failing that, from secrets.ageKeyFile.
func (r *reader) secrets() Secrets {
	var s Secrets
	ageKeyFile := ""
	if _, set := r.raw("secrets.ageKeyFile"); set {
		if _, abs, _, ok := r.file("secrets.ageKeyFile"); ok {
			ageKeyFile = abs
		}
	}
	path, abs, _, ok := r.file("secrets.sopsFile")
	if !ok {
		return s
	}
	values, err := sopsfile.Decrypt(abs, ageKeyFile)
	if err != nil {
		r.fail("secrets.sopsFile", "%s", strings.Replace(err.Error(), abs, path, 1))
		return s
	}
	s.SopsFile, s.Values = path, values
	for _, k := range appenv.Clashes(values) {
		r.fail("secrets.sopsFile", "%s: sets %s, which the program sets itself; remove it from the file", path, k)
	}
	return s
}
