# shellcheck shell=bash
# Certificates and keys of the sandbox, made with openssl into $state/pki. Generated once and
# reused on restart while the stamp matches and nothing expires within 30 days.

# Bump when the set of files, subjects or SANs changes: the next `up` regenerates everything.
readonly PKI_LAYOUT="pki-v3 api=$HOST,10.43.0.1 registry=$HOST,localhost kubelet=$NODE_GATEWAY"

pki_files=(
	ca.crt ca.key front-proxy-ca.crt front-proxy-ca.key sa.key sa.pub
	apiserver.crt apiserver.key front-proxy-client.crt front-proxy-client.key
	admin.crt admin.key controller-manager.crt controller-manager.key
	scheduler.crt scheduler.key registry.crt registry.key
	kubelet.crt kubelet.key kubelet-serving.crt kubelet-serving.key
	apiserver-kubelet-client.crt apiserver-kubelet-client.key
)

pki_fresh() {
	local f
	[ "$(cat "$pki/stamp" 2>/dev/null)" = "$PKI_LAYOUT" ] || return 1
	for f in "${pki_files[@]}"; do [ -s "$pki/$f" ] || return 1; done
	for f in ca front-proxy-ca apiserver admin registry; do
		openssl x509 -checkend $((30 * 86400)) -noout -in "$pki/$f.crt" >/dev/null || return 1
	done
}

# new_ca NAME CN
new_ca() {
	openssl req -x509 -new -nodes -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
		-keyout "$pki/$1.key" -out "$pki/$1.crt" -days 3650 -subj "/CN=$2" \
		-addext "basicConstraints=critical,CA:TRUE" \
		-addext "keyUsage=critical,keyCertSign,cRLSign,digitalSignature" 2>/dev/null
}

# new_cert CA NAME SUBJECT EXTENDED_KEY_USAGE [SAN]
new_cert() {
	local ca=$1 name=$2 subj=$3 eku=$4 san=${5:-}
	local ext="basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=$eku"
	[ -n "$san" ] && ext+="
subjectAltName=$san"
	openssl req -new -nodes -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
		-keyout "$pki/$name.key" -subj "$subj" 2>/dev/null |
		openssl x509 -req -CA "$pki/$ca.crt" -CAkey "$pki/$ca.key" \
			-set_serial "0x$(openssl rand -hex 16)" -days 825 \
			-extfile <(printf '%s\n' "$ext") -out "$pki/$name.crt" 2>/dev/null
}

pki_ensure() {
	pki=$state/pki
	if pki_fresh; then
		say "certificates: reusing $pki"
		return
	fi
	local t0
	t0=$(now_ms)
	rm -rf "$pki"
	mkdir -p "$pki"
	chmod 700 "$pki"
	new_ca ca "inter-hub sandbox CA"
	new_ca front-proxy-ca "inter-hub sandbox front-proxy CA"
	openssl ecparam -name prime256v1 -genkey -noout 2>/dev/null | openssl pkey -out "$pki/sa.key"
	openssl pkey -in "$pki/sa.key" -pubout -out "$pki/sa.pub"
	new_cert ca apiserver "/CN=kube-apiserver" serverAuth \
		"IP:$HOST,IP:10.43.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local"
	new_cert front-proxy-ca front-proxy-client "/CN=front-proxy-client" clientAuth
	new_cert ca admin "/O=system:masters/CN=sandbox-admin" clientAuth
	new_cert ca controller-manager "/CN=system:kube-controller-manager" clientAuth
	new_cert ca scheduler "/CN=system:kube-scheduler" clientAuth
	# The kubelet's identity for the Node authorizer, its serving certificate, and the apiserver's
	# client certificate towards it (logs, exec).
	new_cert ca kubelet "/O=system:nodes/CN=system:node:$NODE_NAME" clientAuth
	new_cert ca kubelet-serving "/CN=$NODE_NAME" serverAuth "IP:$NODE_GATEWAY,IP:$HOST,DNS:$NODE_NAME"
	new_cert ca apiserver-kubelet-client "/O=system:masters/CN=kube-apiserver-kubelet-client" clientAuth
	new_cert ca registry "/CN=sandbox registry" serverAuth "IP:$HOST,DNS:localhost"
	chmod 600 "$pki"/*.key
	echo "$PKI_LAYOUT" >"$pki/stamp"
	say "certificates: generated in $pki ($(since "$t0"))"
}

# kubeconfig FILE USER CERT_NAME writes a self-contained kubeconfig (certificates embedded), so it
# can be handed around as one value, e.g. to the Pulumi kubernetes provider.
kubeconfig() {
	local file=$1 user=$2 cert=$3 tmp
	tmp=$(mktemp "$file.XXXXXX")
	cat >"$tmp" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: $KUBE_CONTEXT
  cluster:
    server: https://$HOST:$APISERVER_PORT
    certificate-authority-data: $(base64 -w0 <"$pki/ca.crt")
users:
- name: $user
  user:
    client-certificate-data: $(base64 -w0 <"$pki/$cert.crt")
    client-key-data: $(base64 -w0 <"$pki/$cert.key")
contexts:
- name: $KUBE_CONTEXT
  context:
    cluster: $KUBE_CONTEXT
    user: $user
current-context: $KUBE_CONTEXT
EOF
	chmod 600 "$tmp"
	mv "$tmp" "$file"
}
