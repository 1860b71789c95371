# Builds the app image on the build host and pushes it to the registry, printing exactly one
# line on stdout: <registry>/<repository>@sha256:<digest>.
#
# Arguments: checkout-dir revision registry repository registry-user flake-attr.
# The registry password is the first line of stdin; it is handed to skopeo on a pipe and kept
# in a private temporary auth file, never in arguments, environment or output.
set -eu
checkout=$1 revision=$2 registry=$3 repository=$4 user=$5 attr=$6

# Everything but the final line goes to stderr.
exec 3>&1 1>&2
umask 077
IFS= read -r password || [ -n "${password:-}" ] || { echo "no registry password on stdin"; exit 2; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
auth=$work/auth.json

cd "$checkout" || { echo "checkout $checkout not found on $(hostname)"; exit 3; }
git fetch --quiet --force --tags origin '+refs/heads/*:refs/remotes/origin/*'
# A branch name means the remote's branch, not a possibly stale local one.
commit=$(git rev-parse --verify --quiet "refs/remotes/origin/$revision^{commit}" ||
	git rev-parse --verify --quiet "$revision^{commit}") ||
	{ echo "revision $revision not found in $checkout (after fetching origin)"; exit 4; }
tag=git-$commit
image=$registry/$repository

printf '%s' "$password" | skopeo login --authfile "$auth" --username "$user" --password-stdin "$registry" >/dev/null
unset password

# The tag names the commit, so an image that exists was built from this exact source.
if digest=$(skopeo inspect --authfile "$auth" --format '{{.Digest}}' "docker://$image:$tag" 2>/dev/null) &&
	[ -n "$digest" ]; then
	echo "image for $commit already in the registry, not rebuilding"
else
	git checkout --quiet --force --detach "$commit"
	echo "building $attr at $commit"
	nix build "$attr"
	gunzip -c result >"$work/image.tar"
	skopeo copy --quiet --authfile "$auth" --digestfile "$work/digest" \
		"docker-archive:$work/image.tar" "docker://$image:$tag"
	digest=$(cat "$work/digest")
fi
case $digest in
sha256:????????????????????????????????????????????????????????????????) ;;
*) echo "unexpected digest from the registry: $digest"; exit 5 ;;
esac
printf '%s@%s\n' "$image" "$digest" >&3
