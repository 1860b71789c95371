// Package app answers the inter-hub app's HTTP endpoints on behalf of one pod: the landing page,
// the static files of the pod's image, and the API's key check against the pod's environment.
// No container runs in the stand-in, so this is what the pod would have served, built only from
// what the cluster and the registry really hold for it.
package app

import (
	"bytes"
	"crypto/subtle"
	"html/template"
	"net/http"
	"strings"

	"github.com/coulomb-social/inter-hub-deploy/sandbox/edge/image"
)

// APIKeyVar is the variable of the app's environment that holds the API key.
const APIKeyVar = "INTERHUB_API_KEY"

// Paths the app serves.
const (
	StylesheetPath = "/static/app.css"
	APIHubsPath    = "/api/v2/hubs"
	staticPrefix   = "/static/"
)

// Pod is the pod the edge answers for.
type Pod struct {
	Namespace, Name string
	Image           *image.Image
	Env             map[string]string
}

var landing = template.Must(template.New("landing").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Inter-Hub</title>
<link rel="stylesheet" href="{{.Stylesheet}}">
</head>
<body>
<h1>Inter-Hub</h1>
<p class="hub">Served by pod {{.Pod}} from image {{.Image}}{{with .Revision}} (revision {{.}}){{end}}.</p>
</body>
</html>
`))

// Serve answers one request on behalf of p.
func Serve(w http.ResponseWriter, r *http.Request, p *Pod) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	switch {
	case r.URL.Path == "/":
		servePage(w, r, p)
	case strings.HasPrefix(r.URL.Path, staticPrefix):
		serveStatic(w, r, p)
	case r.URL.Path == APIHubsPath:
		serveHubs(w, r, p)
	default:
		http.Error(w, "not found", http.StatusNotFound)
	}
}

func servePage(w http.ResponseWriter, r *http.Request, p *Pod) {
	var b bytes.Buffer
	err := landing.Execute(&b, map[string]string{
		"Stylesheet": StylesheetPath, "Pod": p.Namespace + "/" + p.Name,
		"Image": p.Image.Ref.String(), "Revision": p.Image.Revision(),
	})
	if err != nil {
		http.Error(w, "landing page: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if r.Method == http.MethodHead {
		return
	}
	_, _ = w.Write(b.Bytes())
}

// serveStatic serves a file of the image's static directory; ServeContent sets the content
// type from the extension and handles HEAD, ranges and If-Modified-Since.
func serveStatic(w http.ResponseWriter, r *http.Request, p *Pod) {
	name := strings.TrimPrefix(r.URL.Path, staticPrefix)
	data, mod, ok := p.Image.StaticFile(name)
	if !ok {
		http.Error(w, "not found", http.StatusNotFound)
		return
	}
	http.ServeContent(w, r, name, mod, bytes.NewReader(data))
}

func serveHubs(w http.ResponseWriter, r *http.Request, p *Pod) {
	key := p.Env[APIKeyVar]
	if key == "" {
		// The app would refuse every key; say why instead of a bare 401.
		http.Error(w, "edge: the environment of pod "+p.Namespace+"/"+p.Name+" has no "+APIKeyVar, http.StatusBadGateway)
		return
	}
	token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || subtle.ConstantTimeCompare([]byte(token), []byte(key)) != 1 {
		w.Header().Set("WWW-Authenticate", `Bearer realm="inter-hub"`)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = w.Write([]byte(`{"error":"a valid API key is required"}` + "\n"))
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	// No database behind the stand-in: the list of hubs is empty.
	_, _ = w.Write([]byte("[]\n"))
}
