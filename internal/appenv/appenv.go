// Package appenv names the environment variables the program itself puts into the app's Secret.
// The SOPS file may set any other variable; setting one of these there is an error, because
// silently preferring either value would hide a mistake.
package appenv

const (
	// DatabaseURL is the app role's connection URL through the stack's database endpoint.
	DatabaseURL = "DATABASE_URL"
	// SessionSecret is IHP's cookie signing key.
	SessionSecret = "IHP_SESSION_SECRET"
	// BaseURL is the public URL IHP builds links with.
	BaseURL = "IHP_BASEURL"
)

// Reserved lists the variables the program sets, in the order they are documented.
var Reserved = []string{DatabaseURL, SessionSecret, BaseURL}

// Clashes lists the reserved variables that values sets, in Reserved's order.
func Clashes(values map[string]string) []string {
	var out []string
	for _, k := range Reserved {
		if _, set := values[k]; set {
			out = append(out, k)
		}
	}
	return out
}
