# shellcheck shell=bash
# Debian's docker-registry (distribution 2.8) on https://127.0.0.1:5443 with a certificate from the
# sandbox CA and htpasswd auth.

registry_config() {
	local dir=$state/registry
	install -d -m 0755 "$dir" "$dir/storage"
	cp "$pki/ca.crt" "$dir/ca.crt"
	# The CA as a directory for Go clients (SSL_CERT_DIR): crane on the build host and in up.
	install -d -m 0755 "$dir/trust"
	cp "$pki/ca.crt" "$dir/trust/inter-hub-sandbox-ca.pem"
	cp "$pki/registry.crt" "$dir/tls.crt"
	install -m 0600 "$pki/registry.key" "$dir/tls.key"
	# bcrypt is the only hash distribution's htpasswd backend accepts.
	# Two accounts: the build host pushes, pods pull.
	if ! htpasswd -vb "$dir/htpasswd" "$REGISTRY_USER" "$REGISTRY_PASSWORD" >/dev/null 2>&1 ||
		! htpasswd -vb "$dir/htpasswd" "$REGISTRY_PULL_USER" "$REGISTRY_PULL_PASSWORD" >/dev/null 2>&1; then
		htpasswd -Bbc "$dir/htpasswd.tmp" "$REGISTRY_USER" "$REGISTRY_PASSWORD" 2>/dev/null
		htpasswd -Bb "$dir/htpasswd.tmp" "$REGISTRY_PULL_USER" "$REGISTRY_PULL_PASSWORD" 2>/dev/null
		mv "$dir/htpasswd.tmp" "$dir/htpasswd"
	fi
	[ -s "$dir/http-secret" ] || (umask 077 && openssl rand -hex 24 >"$dir/http-secret")
	cat >"$dir/config.yml" <<EOF
# sandbox: written by sandbox.sh on every up; edits are lost.
version: 0.1
log:
  level: info
  formatter: text
  accesslog:
    disabled: false
storage:
  filesystem:
    rootdirectory: $dir/storage
  delete:
    enabled: true
  maintenance:
    uploadpurging:
      enabled: false
http:
  addr: $HOST:$REGISTRY_PORT
  secret: $(cat "$dir/http-secret")
  tls:
    certificate: $dir/tls.crt
    key: $dir/tls.key
auth:
  htpasswd:
    realm: inter-hub-sandbox
    path: $dir/htpasswd
EOF
}

# skopeo (containers/image) reads per-registry CAs from /etc/containers/certs.d/HOST:PORT/, and
# that directory must hold only ca.crt (a .crt with no .key is taken as a CA, .cert as a client).
registry_trust() {
	local d=/etc/containers/certs.d/$HOST:$REGISTRY_PORT
	if [ "$(id -u)" -ne 0 ]; then
		if ! cmp -s "$d/ca.crt" "$state/registry/ca.crt" 2>/dev/null; then
			say "registry: not root, cannot write $d/ca.crt; skopeo will not trust the sandbox registry until it holds $state/registry/ca.crt"
		fi
		return
	fi
	mkdir -p "$d"
	cmp -s "$d/ca.crt" "$state/registry/ca.crt" 2>/dev/null || install -m 0644 "$state/registry/ca.crt" "$d/ca.crt"
	local f
	for f in "$d"/*; do
		[ "$f" = "$d/ca.crt" ] || die "registry: $d must hold only ca.crt for skopeo, found $f"
	done
}

registry_healthy() {
	local code
	code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 --cacert "$state/registry/ca.crt" \
		"https://$HOST:$REGISTRY_PORT/v2/") || return 1
	[ "$code" = 401 ]
}

registry_up() {
	local t0 pid
	t0=$(now_ms)
	registry_config
	registry_trust
	if pid=$(running registry); then
		say "registry: already running (pid $pid)"
		return
	fi
	require_port_free registry "$REGISTRY_PORT"
	spawn registry "${GO_ENV[@]}" docker-registry serve "$state/registry/config.yml"
	wait_until "the registry to answer on https://$HOST:$REGISTRY_PORT/v2/" 20 registry registry_healthy
	say "registry: ready ($(since "$t0"))"
}

registry_down() { stop registry TERM 10; }
