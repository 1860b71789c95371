# shellcheck shell=bash
# The images the node runs besides the app's: the pod sandbox's pause, Traefik, the local-path
# provisioner and its helper (busybox). Each is packed from a binary of the toolchain or a Debian
# package with its shared libraries, and pushed to the sandbox registry under sandbox/: nothing
# comes from the internet.

# sandbox_image_ref NAME TAG prints the image's reference in the sandbox registry.
sandbox_image_ref() { echo "$HOST:$REGISTRY_PORT/sandbox/$1:$2"; }

# The registry's accounts as Docker config files, for crane (push) and for kubectl's pull secrets.
registry_docker_config() {
	local dir=$state/registry/push-docker auth
	install -d -m 0700 "$dir"
	auth=$(printf '%s:%s' "$REGISTRY_USER" "$REGISTRY_PASSWORD" | base64 -w0)
	printf '{"auths":{"%s":{"auth":"%s"}}}\n' "$HOST:$REGISTRY_PORT" "$auth" >"$dir/config.json"
	chmod 600 "$dir/config.json"
}

# as_pusher CMD... runs CMD (crane) with the push account and the sandbox CA.
as_pusher() {
	DOCKER_CONFIG=$state/registry/push-docker SSL_CERT_DIR="/etc/ssl/certs:$state/registry/trust" "$@"
}

# closure_tree DIR BIN... copies each program to DIR/bin and its shared libraries (with the
# dynamic loader) to the paths ldd names, so the tree runs as an image's root file system.
closure_tree() {
	local dir=$1 b l
	shift
	install -d -m 0755 "$dir/bin"
	for b in "$@"; do
		install -m 0755 "$b" "$dir/bin/${b##*/}"
		# A static program has no closure (ldd says so and fails).
		for l in $(ldd "$b" 2>/dev/null | grep -o '/[^ ]*' || true); do
			install -D -m 0755 "$(readlink -f "$l")" "$dir$l"
		done
	done
}

# image_push NAME TAG TREE [crane mutate flags...] packs TREE as one layer (sorted, owners 0,
# epoch mtimes: the same files give the same digest) and pushes it as sandbox/NAME:TAG, unless
# the registry already holds it from the same files.
image_push() {
	local name=$1 tag=$2 tree=$3
	shift 3
	local ref sum stamp tmp
	ref=$(sandbox_image_ref "$name" "$tag")
	sum=$( (cd "$tree" && find . \( -type f -o -type l \) -print0 | sort -z | xargs -0 sha256sum; echo "$*") | sha256sum | cut -c1-16)
	stamp=$state/images/$name.stamp
	if [ "$(cat "$stamp" 2>/dev/null)" = "$tag $sum" ] && as_pusher crane digest "$ref" >/dev/null 2>&1; then
		return
	fi
	tmp=$(mktemp -d "$state/images/.build-$name.XXXXXX")
	tar --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 -C "$tree" -cf "$tmp/layer.tar" . ||
		die "images: packing $name failed"
	if ! as_pusher crane append -f "$tmp/layer.tar" -t "$ref" >"$tmp/crane.log" 2>&1 ||
		! as_pusher crane mutate "$ref" --set-platform linux/amd64 "$@" -t "$ref" >>"$tmp/crane.log" 2>&1; then
		cat "$tmp/crane.log" >>"$(logfile images)"
		rm -rf "$tmp"
		fail_with_log images "images: pushing $ref failed"
	fi
	rm -rf "$tmp"
	echo "$tag $sum" >"$stamp"
	say "images: pushed $ref"
}

images_up() {
	local t0 w a pids=()
	t0=$(now_ms)
	install -d -m 0700 "$state/images"
	registry_docker_config
	w=$(mktemp -d "$state/images/.trees.XXXXXX")
	# pause: Kubernetes' own pause.c, built static by the toolchain.
	install -D -m 0755 "$(command -v pause)" "$w/pause/pause"
	image_push pause "$PAUSE_IMAGE_TAG" "$w/pause" --entrypoint /pause &
	pids+=($!)
	closure_tree "$w/traefik" "$(command -v traefik)"
	image_push traefik "$TRAEFIK_VERSION" "$w/traefik" --entrypoint /bin/traefik &
	pids+=($!)
	closure_tree "$w/local-path" "$(command -v local-path-provisioner)"
	image_push local-path-provisioner "$LOCAL_PATH_PROVISIONER_VERSION" "$w/local-path" \
		--env PATH=/bin --entrypoint /bin/local-path-provisioner &
	pids+=($!)
	# The provisioner's helper runs its setup and teardown scripts with sh, mkdir and rm.
	closure_tree "$w/busybox" /bin/busybox
	for a in $(/bin/busybox --list); do
		[ "$a" = busybox ] || ln -s busybox "$w/busybox/bin/$a"
	done
	image_push busybox "$(dpkg-query -W -f '${Version}' busybox-static | tr -c 'A-Za-z0-9_.\n-' _)" "$w/busybox" \
		--env PATH=/bin &
	pids+=($!)
	# Only these: a registry this shell just spawned is a background job of it too.
	local rc=0 j
	for j in "${pids[@]}"; do wait "$j" || rc=1; done
	rm -rf "$w"
	[ "$rc" -eq 0 ] || die "images: a push failed (see above)"
	say "images: ready ($(since "$t0"))"
}

busybox_image_ref() {
	sandbox_image_ref busybox "$(dpkg-query -W -f '${Version}' busybox-static | tr -c 'A-Za-z0-9_.\n-' _)"
}

# node_pause_preload pulls the pause image into the node's containerd, as K3s preloads it: the
# CRI plugin pulls its sandbox image without credentials, and the registry needs them.
node_pause_preload() {
	local ref
	ref=$(sandbox_image_ref pause "$PAUSE_IMAGE_TAG")
	nctr images check "name==$ref" 2>/dev/null | grep -q complete && return
	nctr images pull --hosts-dir "$noderoot/containerd/certs.d" \
		--user "$REGISTRY_PULL_USER:$REGISTRY_PULL_PASSWORD" "$ref" >>"$(logfile images)" 2>&1 ||
		fail_with_log images "node: pulling $ref into containerd failed"
}
