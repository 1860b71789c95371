# shellcheck shell=bash
# What K3s deploys into a new cluster and the program relies on: Traefik (IngressClass traefik,
# its CRDs) and the local-path StorageClass. Both run as pods on the node, from images in the
# sandbox registry, pulled with the registry's read-only account.

readonly TRAEFIK_WEB_PORT=18080
readonly TRAEFIK_PING_PORT=18082

# ingress_cert makes pki/edge.crt, Traefik's default certificate, for localhost, *.localhost and
# 127.0.0.1 when it is missing, was not signed by the current CA, names other hosts or expires
# within 30 days. It lives beside pki/stamp, not in it, so that adding it never regenerates the CA
# under a running sandbox.
ingress_cert() {
	local stamp="edge-v1 $EDGE_SANS"
	if [ -s "$pki/edge.crt" ] && [ -s "$pki/edge.key" ] && [ "$(cat "$pki/edge.stamp" 2>/dev/null)" = "$stamp" ] &&
		openssl verify -CAfile "$pki/ca.crt" "$pki/edge.crt" >/dev/null 2>&1 &&
		openssl x509 -checkend $((30 * 86400)) -noout -in "$pki/edge.crt" >/dev/null; then
		return
	fi
	new_cert ca edge "/CN=sandbox ingress" serverAuth "$EDGE_SANS"
	chmod 600 "$pki/edge.key"
	echo "$stamp" >"$pki/edge.stamp"
	say "traefik: default certificate for $EDGE_SANS written to $pki/edge.crt"
}

# manifest FILE prints a manifest of sandbox/manifests with its placeholders filled in.
manifest() {
	sed -e "s|@HOST@|$HOST|g" -e "s|@APISERVER_PORT@|$APISERVER_PORT|g" \
		-e "s|@WEBSECURE_PORT@|$EDGE_PORT|g" -e "s|@WEB_PORT@|$TRAEFIK_WEB_PORT|g" \
		-e "s|@PING_PORT@|$TRAEFIK_PING_PORT|g" \
		-e "s|@TRAEFIK_IMAGE@|$(sandbox_image_ref traefik "$TRAEFIK_VERSION")|g" \
		-e "s|@LOCAL_PATH_IMAGE@|$(sandbox_image_ref local-path-provisioner "$LOCAL_PATH_PROVISIONER_VERSION")|g" \
		-e "s|@BUSYBOX_IMAGE@|$(busybox_image_ref)|g" \
		-e "s|@STORAGE_DIR@|$noderoot/storage|g" \
		"$here/manifests/$1"
}

# kapply NAME: kubectl apply of stdin, logged; fails with the log's end.
kapply() {
	kctl apply --server-side --force-conflicts --field-manager sandbox -f - >>"$(logfile kubectl)" 2>&1 ||
		fail_with_log kubectl "kubectl apply of $1 failed"
}

# pull_secret NAMESPACE writes the Secret sandbox-registry (the read-only account) there.
pull_secret() {
	kctl -n "$1" create secret docker-registry sandbox-registry --docker-server "$HOST:$REGISTRY_PORT" \
		--docker-username "$REGISTRY_PULL_USER" --docker-password "$REGISTRY_PULL_PASSWORD" \
		--dry-run=client -o yaml | kapply "pull secret in $1"
}

deployment_available() {
	[ "$(kctl -n "$1" get deployment "$2" -o jsonpath='{.status.conditions[?(@.type=="Available")].status}')" = True ]
}

# traefik_ready: Traefik answers its ping, and serves TLS on websecure with its default certificate.
traefik_ready() {
	curl -sf --max-time 2 "http://$HOST:$TRAEFIK_PING_PORT/ping" | grep -qx OK || return 1
	local code
	code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 3 --cacert "$pki/ca.crt" \
		--connect-to "::$HOST:$EDGE_PORT" "https://localhost/") || return 1
	[ "$code" = 404 ]
}

addons_up() {
	local t0
	t0=$(now_ms)
	ingress_cert
	[ -f "$INTERHUB_TOOLS_PREFIX/share/traefik/crds.yaml" ] ||
		die "traefik: $INTERHUB_TOOLS_PREFIX/share/traefik/crds.yaml is missing; rebuild with toolchain/tools.sh build traefik"
	kapply "Traefik's CRDs" <"$INTERHUB_TOOLS_PREFIX/share/traefik/crds.yaml"
	manifest storageclass.yaml | kapply storageclass.yaml
	pull_secret kube-system
	pull_secret local-path-storage
	kctl -n kube-system create secret tls traefik-default-cert --cert "$pki/edge.crt" --key "$pki/edge.key" \
		--dry-run=client -o yaml | kapply "Traefik's default certificate"
	manifest traefik.yaml | kapply traefik.yaml
	wait_until "deployment local-path-storage/local-path-provisioner to be Available" 60 kubelet \
		deployment_available local-path-storage local-path-provisioner
	wait_until "deployment kube-system/traefik to be Available" 60 kubelet deployment_available kube-system traefik
	wait_until "Traefik to serve https://$HOST:$EDGE_PORT" 30 kubelet traefik_ready
	say "traefik and local-path: ready ($(since "$t0"))"
}
