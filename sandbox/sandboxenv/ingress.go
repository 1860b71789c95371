package sandboxenv

import (
	"context"
	"net"
	"net/http"
	"time"
)

// Client sends every request to Traefik's websecure entrypoint whatever the URL's host (the Host header and the
// TLS server name stay the URL's), trusting the sandbox CA only. Redirects are not followed.
func (e Ingress) Client() (*http.Client, error) {
	tlsConf, err := caTLSConfig("ingress", e.CAFile)
	if err != nil {
		return nil, err
	}
	d := &net.Dialer{Timeout: 5 * time.Second}
	return &http.Client{
		Timeout: 30 * time.Second,
		Transport: &http.Transport{
			TLSClientConfig:   tlsConf,
			DisableKeepAlives: true,
			Proxy:             nil,
			DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
				return d.DialContext(ctx, network, e.ConnectTo)
			},
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}, nil
}

// URLFor is the https URL of host as Traefik serves it (port 443 implied; dial ConnectTo).
func (e Ingress) URLFor(host string) string { return "https://" + host }
