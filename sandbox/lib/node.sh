# shellcheck shell=bash
# The cluster's one node, made of real parts: a private containerd (Debian's 1.6 with runc), the
# CNI bridge plugins, and kubelet v1.36.3 registering node sandbox-node-0 as K3s would.
#
# The node's runtime directories (containerd's root and state, the kubelet's root with the pods'
# volumes, the local-path volumes) live under /var/lib/inter-hub-sandbox-<hash of the state dir>:
# mount points, overlay snapshots and unix sockets do not take a checkout's path, which may be
# long, hold spaces, or sit on a directory other users cannot enter.

# The pause image the CRI plugin starts each pod sandbox with; built from Kubernetes' pause.c.
readonly PAUSE_IMAGE_TAG=3.10

# node_paths sets noderoot and adds it to extra_roots, so that `ours` recognises containerd and the
# kubelet by it. pg_paths resets extra_roots: call this after it.
node_paths() {
	noderoot=/var/lib/inter-hub-sandbox-$(state_id)/node
	extra_roots+=("$noderoot/")
}

containerd_sock() { echo "$noderoot/containerd/containerd.sock"; }
nctr() { ctr --address "$(containerd_sock)" --namespace k8s.io "$@"; }

# node_bridge creates the pods' bridge with its gateway address before anything starts, so that
# pgpool can listen on it; the CNI bridge plugin then finds and uses it.
node_bridge() {
	if ! ip link show "$NODE_BRIDGE" >/dev/null 2>&1; then
		ip link add "$NODE_BRIDGE" type bridge || die "node: cannot create bridge $NODE_BRIDGE"
	fi
	ip addr replace "$NODE_GATEWAY/24" dev "$NODE_BRIDGE"
	ip link set "$NODE_BRIDGE" up
}

node_config() {
	local d=$noderoot kd
	kd=$(kube_dir)
	install -d -m 0700 "$d" "$d/containerd" "$d/kubelet" "$d/storage"
	install -d -m 0755 "$d/cni/net.d" "$d/containerd/certs.d/$HOST:$REGISTRY_PORT"
	# The registry's CA, as a node trusts a public registry's certificate. Credentials are not
	# configured here: pods pull with imagePullSecrets, as on Railiance01.
	cp "$pki/ca.crt" "$d/containerd/certs.d/$HOST:$REGISTRY_PORT/ca.crt"
	# The CA for the server entry too: a pull that fails on the host entry (an image not found)
	# is retried on the server, and that attempt's error is the one the kubelet reports.
	cat >"$d/containerd/certs.d/$HOST:$REGISTRY_PORT/hosts.toml" <<EOF
server = "https://$HOST:$REGISTRY_PORT"
ca = "$d/containerd/certs.d/$HOST:$REGISTRY_PORT/ca.crt"
[host."https://$HOST:$REGISTRY_PORT"]
  capabilities = ["pull", "resolve"]
  ca = "$d/containerd/certs.d/$HOST:$REGISTRY_PORT/ca.crt"
EOF
	# restrict_oom_score_adj: this VM withholds CAP_SYS_RESOURCE, so the negative oom_score_adj the
	# kubelet asks for pod sandboxes would fail every pod start.
	cat >"$d/containerd/config.toml" <<EOF
# sandbox: written by sandbox.sh on every up; edits are lost.
version = 2
root = "$d/containerd/root"
state = "$d/containerd/state"
[grpc]
  address = "$(containerd_sock)"
[ttrpc]
  address = "$(containerd_sock).ttrpc"
[debug]
  level = "warn"
[metrics]
  address = ""
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$HOST:$REGISTRY_PORT/sandbox/pause:$PAUSE_IMAGE_TAG"
  restrict_oom_score_adj = true
  enable_selinux = false
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        BinaryName = "/usr/sbin/runc"
        SystemdCgroup = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$d/cni/net.d"
  [plugins."io.containerd.grpc.v1.cri".registry]
    config_path = "$d/containerd/certs.d"
EOF
	cat >"$d/cni/net.d/10-sandbox.conflist" <<EOF
{
  "cniVersion": "1.0.0",
  "name": "sandbox",
  "plugins": [
    {
      "type": "bridge",
      "bridge": "$NODE_BRIDGE",
      "isGateway": true,
      "ipMasq": false,
      "hairpinMode": true,
      "ipam": {
        "type": "host-local",
        "ranges": [[{"subnet": "$POD_CIDR", "gateway": "$NODE_GATEWAY"}]],
        "dataDir": "$d/cni/ipam"
      }
    },
    {"type": "portmap", "capabilities": {"portMappings": true}}
  ]
}
EOF
	kubeconfig "$d/kubelet/kubeconfig" "system:node:$NODE_NAME" kubelet
	# cgroupfs and failCgroupV1: false for containerd 1.6 on this cgroup v1 host; no QoS cgroups or
	# allocatable enforcement (the node shares the machine). Cluster DNS points at the gateway,
	# where nothing answers: lookups of cluster names fail at once instead of timing out.
	cat >"$d/kubelet/config.yaml" <<EOF
# sandbox: written by sandbox.sh on every up; edits are lost.
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
# The node's address is the bridge's (a kubelet refuses a loopback node IP): the apiserver
# reaches the kubelet there for logs and exec, and host-network pods get it as their IP.
address: $NODE_GATEWAY
port: $KUBELET_PORT
readOnlyPort: 0
healthzBindAddress: $HOST
healthzPort: $KUBELET_HEALTHZ_PORT
tlsCertFile: $pki/kubelet-serving.crt
tlsPrivateKeyFile: $pki/kubelet-serving.key
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: false}
  x509: {clientCAFile: $pki/ca.crt}
authorization:
  mode: AlwaysAllow
containerRuntimeEndpoint: unix://$(containerd_sock)
cgroupDriver: cgroupfs
failCgroupV1: false
failSwapOn: false
cgroupsPerQOS: false
enforceNodeAllocatable: []
clusterDomain: cluster.local
clusterDNS: [$NODE_GATEWAY]
resolvConf: /etc/resolv.conf
serializeImagePulls: false
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
evictionHard: {memory.available: "50Mi", nodefs.available: "1%", imagefs.available: "1%", nodefs.inodesFree: "1%"}
maxPods: 110
podPidsLimit: -1
shutdownGracePeriod: 0s
shutdownGracePeriodCriticalPods: 0s
nodeStatusReportFrequency: 10s
nodeStatusUpdateFrequency: 5s
syncFrequency: 10s
fileCheckFrequency: 10s
staticPodPath: ""
EOF
	[ -n "$kd" ]
}

containerd_healthy() { nctr version >/dev/null 2>&1; }

containerd_start() {
	local pid
	if pid=$(running containerd); then
		say "containerd: already running (pid $pid)"
		return
	fi
	spawn containerd containerd --config "$noderoot/containerd/config.toml"
	wait_until "containerd on $(containerd_sock)" 20 containerd containerd_healthy
}

kubelet_healthy() { curl -sf --max-time 2 "http://$HOST:$KUBELET_HEALTHZ_PORT/healthz" | grep -qx ok; }

kubelet_start() {
	local pid try
	if pid=$(running kubelet); then
		say "kubelet: already running (pid $pid)"
		return
	fi
	require_port_free kubelet "$KUBELET_PORT"
	require_port_free kubelet-healthz "$KUBELET_HEALTHZ_PORT"
	# The kubelet binds its pod-resources socket under a temporary name and renames it over the
	# previous one; now and then that rename fails with EXDEV although both names share a
	# directory (k3s-io/k3s#4042), and the kubelet exits. So it starts without a stale socket, as
	# on a node whose kubelet directory is fresh, and is started once more if it still happens.
	for try in 1 2; do
		rm -f "$noderoot/kubelet/root/pod-resources/"*
		# node-role labels are refused from a kubelet (NodeRestriction); node_labels adds them after.
		spawn kubelet "${GO_ENV[@]}" kubelet --config "$noderoot/kubelet/config.yaml" \
			--kubeconfig "$noderoot/kubelet/kubeconfig" --root-dir "$noderoot/kubelet/root" \
			--hostname-override "$NODE_NAME" --node-ip "$NODE_GATEWAY" \
			--node-labels "node.kubernetes.io/instance-type=k3s" --v=1
		wait_until "kubelet /healthz on $HOST:$KUBELET_HEALTHZ_PORT" 30 - kubelet_settled
		if [ "$try" = 1 ] && ! running kubelet >/dev/null 2>&1 && kubelet_exdev; then
			say "kubelet: exited on the pod-resources socket's rename (EXDEV); starting it once more"
			continue
		fi
		break
	done
	wait_until "kubelet /healthz on $HOST:$KUBELET_HEALTHZ_PORT" 30 kubelet kubelet_healthy
}

# kubelet_settled: the kubelet answers, or has exited.
kubelet_settled() { kubelet_healthy || ! running kubelet >/dev/null 2>&1; }

# kubelet_exdev: the kubelet's last start ended on the pod-resources rename flake.
kubelet_exdev() {
	tail -n 40 "$(logfile kubelet)" | grep -q 'podResources endpoint.*invalid cross-device link'
}

node_registered() { kctl get node "$NODE_NAME" >/dev/null 2>&1; }

# node_labels labels the node as K3s labels a server node.
node_labels() {
	kctl label node "$NODE_NAME" --overwrite \
		node-role.kubernetes.io/control-plane=true node-role.kubernetes.io/master=true >/dev/null ||
		die "node: cannot label $NODE_NAME"
}

node_up() {
	node_config
	containerd_start
	kubelet_start
	wait_until "node $NODE_NAME to register" 30 kubelet node_registered
	node_labels
}

# node_down stops the kubelet, then every pod's containers and shims through containerd, then
# containerd; unmounts what the pods left under the node root; removes the bridge.
node_down() {
	local ids m
	stop kubelet TERM 10
	if running containerd >/dev/null 2>&1; then
		ids=$(nctr tasks ls -q 2>/dev/null || true)
		for m in $ids; do nctr tasks kill -s KILL "$m" >/dev/null 2>&1 || true; done
		for m in $ids; do nctr tasks delete -f "$m" >/dev/null 2>&1 || true; done
	fi
	stop containerd TERM 10
	node_shims_kill
	node_unmount
	node_netns_clean
	if ip link show "$NODE_BRIDGE" >/dev/null 2>&1; then
		ip link delete "$NODE_BRIDGE" 2>/dev/null || say "node: could not delete bridge $NODE_BRIDGE"
	fi
}

# node_shim_pids prints the PIDs of this node's containerd shims (each the parent of a pod's
# containers; containerd does not own them).
node_shim_pids() {
	local p cmd
	for p in $(pgrep -f containerd-shim 2>/dev/null); do
		cmd=$(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null) || continue
		[[ $cmd == *"$(containerd_sock)"* ]] && echo "$p"
	done
	return 0
}

# node_shims_kill kills containerd shims (and so their containers) of this node: they outlive
# containerd by design.
node_shims_kill() {
	local p
	for p in $(node_shim_pids); do
		descendants "$p" | xargs -r kill -KILL 2>/dev/null || true
		kill -KILL "$p" 2>/dev/null || true
	done
}

# node_mounts prints the mount points under the node root, deepest first.
node_mounts() {
	awk -v r="$noderoot/" 'index($5, r) == 1 {print $5}' /proc/self/mountinfo | sed 's/\\040/ /g' | sort -r
}

node_unmount() {
	local m
	while read -r m; do
		[ -n "$m" ] || continue
		umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || say "node: could not unmount $m"
	done < <(node_mounts)
}

# node_netns_clean removes the network namespaces the CRI plugin made for pods (named cni-*),
# when nothing uses them any more.
node_netns_clean() {
	local n
	for n in /var/run/netns/cni-*; do
		[ -e "$n" ] || continue
		umount "$n" 2>/dev/null || true
		rm -f "$n" 2>/dev/null || true
	done
}

# node_leftovers prints what down must not leave behind: shims, mounts, veths on the bridge.
node_leftovers() {
	local p
	for p in $(node_shim_pids); do echo "containerd shim pid $p"; done
	node_mounts | sed 's/^/mount /'
	ip link show "$NODE_BRIDGE" >/dev/null 2>&1 && echo "bridge $NODE_BRIDGE"
	ip -o link show type veth 2>/dev/null | grep -q "master $NODE_BRIDGE" && echo "veth on $NODE_BRIDGE"
	return 0
}
