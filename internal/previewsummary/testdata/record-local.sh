#!/usr/bin/env bash
# Records previews of the deploy program's local stack on the stand-in (make sandbox-up), under
# names of its own and in a throwaway backend: the first preview, then after an up, a preview of
# a new app revision. Refuses to keep a recording that contains a known secret.
#   eval "$(toolchain/tools.sh env)"; internal/previewsummary/testdata/record-local.sh
set -euo pipefail
out=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$out/../../.." && pwd)
work=$(mktemp -d)
stack=opsrecord ns=inter-hub-opsrecord role=inter_hub_opsrecord
cd "$repo"
go build -o bin/inter-hub .
cp Pulumi.local.yaml "$work/Pulumi.$stack.yaml"
export PULUMI_BACKEND_URL=file://$work PULUMI_CONFIG_PASSPHRASE=inter-hub-local
export SOPS_AGE_KEY_FILE=$repo/sandbox/fixtures/age-local.key
p() { pulumi --non-interactive "$@" --stack "$stack" --config-file "$work/Pulumi.$stack.yaml"; }
env=$repo/.sandbox/env.json
cleanup() {
	p destroy --yes --exclude-protected >/dev/null 2>&1 || true
	PGPASSWORD=$(jq -r .postgres.adminPassword "$env") "$(jq -r .postgres.psql "$env")" -h 127.0.0.1 \
		-p "$(jq -r .postgres.port "$env")" -U "$(jq -r .postgres.adminUser "$env")" -d postgres -q \
		-c "GRANT $role TO $(jq -r .postgres.adminUser "$env")" -c "DROP DATABASE IF EXISTS $role" -c "DROP ROLE IF EXISTS $role" || true
	kubectl --kubeconfig "$(jq -r .kubernetes.kubeconfig "$env")" delete namespace "$ns" --ignore-not-found --wait=false >/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT
pulumi --non-interactive stack init "$stack" >/dev/null
rm -f "Pulumi.$stack.yaml"
p config set kubernetes.namespace "$ns"
p config set database.name "$role"
p config set database.role "$role"
p config set ingress.host inter-hub-opsrecord.localhost
p preview --diff --json >"$out/local-create.json"
p up --yes >/dev/null
p config set app.revision v2
p preview --diff --json >"$out/local-revision.json"
# No secret of the stand-in may appear in a recording.
secrets=("$(jq -r .postgres.adminPassword "$env")" "$(jq -r .registry.password "$env")" "BEGIN OPENSSH PRIVATE KEY")
while IFS= read -r v; do secrets+=("$v"); done < <(sops -d --output-type json deploy/secrets/local.env.sops.yaml | jq -r '.[] | select(type=="string")')
for f in "$out/local-create.json" "$out/local-revision.json"; do
	for s in "${secrets[@]}"; do
		if [ -n "$s" ] && grep -qF -- "$s" "$f"; then
			echo "a secret appears in $f; not keeping it" >&2
			rm -f "$f"
			exit 1
		fi
	done
done
