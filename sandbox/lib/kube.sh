# shellcheck shell=bash
# A real Kubernetes control plane on loopback: etcd, kube-apiserver, kube-controller-manager and
# kube-scheduler v1.36.3. The node is lib/node.sh's.

kube_dir() { echo "$state/kube"; }

kctl() { kubectl --kubeconfig "$state/kubeconfig" --context "$KUBE_CONTEXT" --request-timeout=10s "$@"; }

# Component kubeconfigs point at certificate files; the admin one embeds them.
kube_config() {
	local kd
	kd=$(kube_dir)
	install -d -m 0700 "$kd" "$state/etcd"
	kubeconfig "$state/kubeconfig" sandbox-admin admin
	kubeconfig "$kd/controller-manager.kubeconfig" system:kube-controller-manager controller-manager
	kubeconfig "$kd/scheduler.kubeconfig" system:kube-scheduler scheduler
}

etcd_healthy() { curl -sf --max-time 2 "http://$HOST:$ETCD_PORT/health" | grep -q '"health":"true"'; }

etcd_start() {
	local pid
	if pid=$(running etcd); then
		say "etcd: already running (pid $pid)"
		return
	fi
	require_port_free etcd "$ETCD_PORT"
	require_port_free etcd-peer "$ETCD_PEER_PORT"
	# Plain HTTP on loopback: only the apiserver talks to it. No fsync: disposable data.
	spawn etcd "${GO_ENV[@]}" etcd --name sandbox --data-dir "$state/etcd" \
		--listen-client-urls "http://$HOST:$ETCD_PORT" --advertise-client-urls "http://$HOST:$ETCD_PORT" \
		--listen-peer-urls "http://$HOST:$ETCD_PEER_PORT" --initial-advertise-peer-urls "http://$HOST:$ETCD_PEER_PORT" \
		--initial-cluster "sandbox=http://$HOST:$ETCD_PEER_PORT" \
		--unsafe-no-fsync --quota-backend-bytes=1073741824 --log-level=warn
	wait_until "etcd health on $HOST:$ETCD_PORT" 30 etcd etcd_healthy
}

apiserver_healthy() {
	curl -sf --max-time 2 --cacert "$pki/ca.crt" "https://$HOST:$APISERVER_PORT/readyz" | grep -qx ok
}

apiserver_start() {
	local pid
	if pid=$(running kube-apiserver); then
		say "kube-apiserver: already running (pid $pid)"
		return
	fi
	require_port_free kube-apiserver "$APISERVER_PORT"
	# --endpoint-reconciler-type none: with a loopback advertise address the default reconciler
	# would publish 127.0.0.1 as the kubernetes Service endpoint. TaintNodesByCondition would taint
	# the new node not-ready, and only the node lifecycle controller (not run: one node, nowhere
	# to evict to) lifts that taint. Node authorization and NodeRestriction as on K3s: the kubelet
	# may change only its own node and pods.
	spawn kube-apiserver "${GO_ENV[@]}" kube-apiserver \
		--etcd-servers "http://$HOST:$ETCD_PORT" \
		--bind-address "$HOST" --advertise-address "$HOST" --secure-port "$APISERVER_PORT" \
		--tls-cert-file "$pki/apiserver.crt" --tls-private-key-file "$pki/apiserver.key" \
		--client-ca-file "$pki/ca.crt" \
		--authorization-mode Node,RBAC --enable-admission-plugins NodeRestriction \
		--kubelet-client-certificate "$pki/apiserver-kubelet-client.crt" --kubelet-client-key "$pki/apiserver-kubelet-client.key" \
		--kubelet-certificate-authority "$pki/ca.crt" --kubelet-preferred-address-types InternalIP \
		--service-account-key-file "$pki/sa.pub" --service-account-signing-key-file "$pki/sa.key" \
		--service-account-issuer https://kubernetes.default.svc.cluster.local \
		--service-cluster-ip-range "$SERVICE_CIDR" \
		--endpoint-reconciler-type none \
		--requestheader-client-ca-file "$pki/front-proxy-ca.crt" \
		--requestheader-allowed-names front-proxy-client \
		--requestheader-username-headers X-Remote-User --requestheader-group-headers X-Remote-Group \
		--requestheader-extra-headers-prefix X-Remote-Extra- \
		--proxy-client-cert-file "$pki/front-proxy-client.crt" --proxy-client-key-file "$pki/front-proxy-client.key" \
		--disable-admission-plugins TaintNodesByCondition \
		--allow-privileged=true --profiling=false --event-ttl=1h --v=1
	wait_until "kube-apiserver /readyz on https://$HOST:$APISERVER_PORT" 60 kube-apiserver apiserver_healthy
}

# The controllers a Deployment, Job, Service, PVC and namespace lifecycle need. No node lifecycle,
# IPAM or attach/detach: one node, the CNI plugin's own IPAM, and only local volumes.
readonly KCM_CONTROLLERS=serviceaccount-token-controller,serviceaccount-controller,namespace-controller,garbage-collector-controller,deployment-controller,replicaset-controller,job-controller,cronjob-controller,ttl-after-finished-controller,statefulset-controller,daemonset-controller,disruption-controller,endpoints-controller,endpointslice-controller,endpointslice-mirroring-controller,persistentvolume-binder-controller,persistentvolumeclaim-protection-controller,persistentvolume-protection-controller,root-ca-certificate-publisher-controller,clusterrole-aggregation-controller,pod-garbage-collector-controller,service-cidr-controller

kcm_start() {
	local pid kd
	kd=$(kube_dir)
	if pid=$(running kube-controller-manager); then
		say "kube-controller-manager: already running (pid $pid)"
		return
	fi
	require_port_free kube-controller-manager "$KCM_PORT"
	# No leader election: one instance, and a restart does not wait for an old lease to expire.
	spawn kube-controller-manager "${GO_ENV[@]}" kube-controller-manager \
		--kubeconfig "$kd/controller-manager.kubeconfig" \
		--authentication-kubeconfig "$kd/controller-manager.kubeconfig" \
		--authorization-kubeconfig "$kd/controller-manager.kubeconfig" \
		--bind-address "$HOST" --secure-port "$KCM_PORT" \
		--controllers "$KCM_CONTROLLERS" \
		--service-account-private-key-file "$pki/sa.key" --root-ca-file "$pki/ca.crt" \
		--use-service-account-credentials=true \
		--service-cluster-ip-range "$SERVICE_CIDR" \
		--leader-elect=false --profiling=false --v=1
}

scheduler_start() {
	local pid kd
	kd=$(kube_dir)
	if pid=$(running kube-scheduler); then
		say "kube-scheduler: already running (pid $pid)"
		return
	fi
	require_port_free kube-scheduler "$SCHEDULER_PORT"
	spawn kube-scheduler "${GO_ENV[@]}" kube-scheduler \
		--kubeconfig "$kd/scheduler.kubeconfig" \
		--authentication-kubeconfig "$kd/scheduler.kubeconfig" \
		--authorization-kubeconfig "$kd/scheduler.kubeconfig" \
		--bind-address "$HOST" --secure-port "$SCHEDULER_PORT" \
		--leader-elect=false --profiling=false --v=1
}

component_healthy() {
	curl -sfk --max-time 2 "https://$HOST:$1/healthz" | grep -qx ok
}

node_ready() {
	[ "$(kctl get node "$NODE_NAME" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}')" = True ]
}
default_sa() { kctl -n default get serviceaccount default; }
kube_up() {
	local t0
	t0=$(now_ms)
	kube_config
	etcd_start
	apiserver_start
	say "kube-apiserver: ready ($(since "$t0"))"
	kcm_start
	scheduler_start
	wait_until "kube-controller-manager /healthz" 30 kube-controller-manager component_healthy "$KCM_PORT"
	wait_until "kube-scheduler /healthz" 30 kube-scheduler component_healthy "$SCHEDULER_PORT"
	wait_until "the default ServiceAccount" 30 kube-controller-manager default_sa
	say "kubernetes control plane: ready ($(since "$t0"))"
}

kube_down() {
	stop kube-scheduler TERM 10
	stop kube-controller-manager TERM 10
	# The apiserver goes before etcd: the other way round it spends its shutdown retrying etcd.
	stop kube-apiserver TERM 10
	stop etcd TERM 20
}
