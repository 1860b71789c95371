package rollback

import "github.com/coulomb-social/inter-hub-deploy/stacks"

// Keys the rollback treats specially. They are the stacks package's key names; a test checks
// that each is in stacks.Keys, so a renamed key fails the build's tests, not a 3 a.m. rollback.
const revisionKey = "app.revision"

// rotationKeys keep their current value: setting a rotation counter back does not bring the
// old secret back, it generates yet another one (and signs everyone out, for the session).
var rotationKeys = []string{"database.passwordRotation", "session.rotation"}

// accountUserKeys keep their current value: the user goes with its password, which as a secret
// is never rolled back. An update from before the pull account existed lacks the key, and
// removing it would leave the program without a required key.
var accountUserKeys = []string{"registry.pullUsername"}

// ForProject describes this project's config, in the config namespace namespace, to the planner.
func ForProject(namespace string) Options {
	known := map[string]bool{}
	for _, k := range stacks.Keys {
		known[k.Name] = true
	}
	keep := map[string]string{}
	for _, k := range rotationKeys {
		keep[k] = "rotation counter: an older value generates a new secret, it does not restore the old one"
	}
	for _, k := range accountUserKeys {
		keep[k] = "account user: it goes with its password, which stays current"
	}
	return Options{
		Namespace:   namespace,
		RevisionKey: revisionKey,
		Known:       func(name string) bool { return known[name] },
		KeepCurrent: keep,
	}
}
