# shellcheck shell=bash
# The edge on https://127.0.0.1:8443: Traefik's websecure entrypoint and the app in one small Go
# program (sandbox/edge). No container runs in the stand-in, so it answers on behalf of the
# ready pods behind each Ingress of class traefik, from their image in the registry and their
# Secret. Built from the checkout with `go build`; its certificate comes from the sandbox CA.

edge_bin() { echo "$state/bin/inter-hub-edge"; }

# edge_cert makes pki/edge.crt for localhost, *.localhost and 127.0.0.1 when it is missing, was
# not signed by the current CA, names other hosts or expires within 30 days. It lives beside
# pki/stamp, not in it, so that adding it never regenerates the CA under a running sandbox.
# Sets edge_cert_renewed=1 when it wrote a new one.
edge_cert_renewed=0
edge_cert() {
	local stamp="edge-v1 $EDGE_SANS"
	if [ -s "$pki/edge.crt" ] && [ -s "$pki/edge.key" ] && [ "$(cat "$pki/edge.stamp" 2>/dev/null)" = "$stamp" ] &&
		openssl verify -CAfile "$pki/ca.crt" "$pki/edge.crt" >/dev/null 2>&1 &&
		openssl x509 -checkend $((30 * 86400)) -noout -in "$pki/edge.crt" >/dev/null; then
		return
	fi
	new_cert ca edge "/CN=sandbox edge" serverAuth "$EDGE_SANS"
	chmod 600 "$pki/edge.key"
	echo "$stamp" >"$pki/edge.stamp"
	edge_cert_renewed=1
	say "edge: certificate for $EDGE_SANS written to $pki/edge.crt"
}

# edge_build compiles sandbox/edge. go keeps its own output up to date cheaply, so it builds into
# edge/build and the binary that runs is replaced (by rename) only when the bytes changed: a
# running edge then shows its executable as deleted, and up restarts it. Without -buildvcs=false
# every commit to the repository would change the bytes (the embedded revision).
edge_build() {
	local t0 out
	t0=$(now_ms)
	command -v go >/dev/null || die "edge: go is not on PATH; it is needed to build sandbox/edge"
	install -d -m 0755 "$state/bin" "$state/edge/build"
	out=$state/edge/build/inter-hub-edge
	if ! (cd "$repo" && go build -buildvcs=false -o "$out" ./sandbox/edge) >>"$(logfile edge-build)" 2>&1; then
		[ -x "$(edge_bin)" ] || fail_with_log edge-build "go build ./sandbox/edge failed"
		# A checkout in the middle of an edit must not take the sandbox down with it.
		say "edge: WARNING: go build ./sandbox/edge failed (see $(logfile edge-build)); keeping the edge built before"
		return 0
	fi
	if ! cmp -s "$out" "$(edge_bin)"; then
		cp "$out" "$(edge_bin).tmp"
		mv -f "$(edge_bin).tmp" "$(edge_bin)"
		say "edge: built $(edge_bin) ($(since "$t0"))"
	fi
}

# edge_healthy: the edge answers over TLS with the sandbox CA, and its route lookup reached the
# apiserver (a host no Ingress claims gets Traefik's 404; 502 means the cluster is unreachable).
# The host is "localhost": OpenSSL, unlike Go, does not accept the *.localhost wildcard.
edge_healthy() {
	local code
	code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 3 --cacert "$pki/ca.crt" \
		--connect-to "::$HOST:$EDGE_PORT" "https://localhost/") || return 1
	[ "$code" != 000 ] && [ "$code" != 502 ]
}

# edge_up starts the edge after env.json is written (it reads the kubeconfig and the registry's
# credentials from there), and restarts a running one whose binary or certificate changed.
edge_up() {
	local t0 pid exe
	t0=$(now_ms)
	edge_cert
	if pid=$(running edge); then
		exe=$(readlink "/proc/$pid/exe" 2>/dev/null || true)
		if [[ $exe == *" (deleted)" ]] || [ "$edge_cert_renewed" = 1 ]; then
			say "edge: binary or certificate changed; restarting it"
			stop edge TERM 10
		else
			say "edge: already running (pid $pid)"
			return
		fi
	fi
	require_port_free edge "$EDGE_PORT"
	spawn edge "${GO_ENV[@]}" "$(edge_bin)" --env "$state/env.json" --listen "$HOST:$EDGE_PORT" \
		--cert "$pki/edge.crt" --key "$pki/edge.key" --ingress-class traefik --entrypoint websecure
	wait_until "the edge on https://$HOST:$EDGE_PORT" 15 edge edge_healthy
	say "edge: ready ($(since "$t0"))"
}

edge_down() { stop edge TERM 10; }
