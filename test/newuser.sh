#!/usr/bin/env bash
# The new user's path, on this machine's toolchain and Go caches (the toolchain's own first run
# is toolchain/coldpath.sh): a clone in a directory other users cannot enter, with spaces in its
# path; `make demo` there twice, the second changing nothing; then the checkout deleted and cloned
# again at the same place and `make demo` once more: the new stand-in must start clean, not meet
# the state the old one left behind. No other stand-in may be running (they share ports).
#
#   test/newuser.sh [REV]      REV of this checkout's repository (default HEAD)
set -euo pipefail

src=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
rev=$(git -C "$src" rev-parse "${1:-HEAD}")
home=$(mktemp -d "$HOME/inter-hub-newuser.XXXXXX")
chmod 700 "$home"
dir="$home/new user/inter hub"
outside=() # what the clone's stand-in keeps outside it (sandbox.sh outside)
start=$(date +%s)
say() { echo "newuser: $* ($(($(date +%s) - start)) s)"; }

cleanup() {
	if [ -d "$dir" ]; then
		(cd "$dir" && make sandbox-down >/dev/null 2>&1) || true
	fi
	if [ ${#outside[@]} -gt 0 ]; then
		rm -rf "${outside[@]}"
	fi
	rm -rf "$home"
}
trap cleanup EXIT

clone() {
	rm -rf "$home/new user"
	mkdir -p "$home/new user"
	git clone -q "$src" "$dir"
	git -C "$dir" checkout -q "$rev"
	mapfile -t outside < <("$dir/sandbox/sandbox.sh" outside)
	[ ${#outside[@]} -gt 0 ] || {
		say "FAIL: sandbox.sh outside printed nothing"
		exit 1
	}
}

# demo N: `make demo`; it must end with every smoke check passed.
demo() {
	local log="$home/demo$1.log" t0
	t0=$(date +%s)
	if ! (cd "$dir" && make demo) >"$log" 2>&1; then
		tail -n 60 "$log"
		say "FAIL: make demo ($1) exited non-zero"
		exit 1
	fi
	if ! grep -q '^all checks passed' "$log"; then
		tail -n 40 "$log"
		say "FAIL: make demo ($1): the smoke checks did not all pass"
		exit 1
	fi
	say "make demo ($1) passed in $(($(date +%s) - t0)) s"
}

# changes LOG: the resource changes pulumi reported (created, updated, replaced, deleted).
changes() { grep -E '^\s+[-+~]+ [0-9]+ (created|updated|replaced|deleted)' "$1" || true; }

clone
say "clone of ${rev:0:12} in $dir (parent 0700)"
demo 1
[ -n "$(grep -E '^\s+\+ [0-9]+ created' "$home/demo1.log")" ] || {
	say "FAIL: the first make demo created nothing"
	exit 1
}
demo 2
if [ -n "$(changes "$home/demo2.log")" ]; then
	changes "$home/demo2.log"
	say "FAIL: the second make demo changed resources"
	exit 1
fi

# The user deletes the checkout (its stand-in stopped, what it kept outside left behind) and
# clones it again at the same place.
(cd "$dir" && make sandbox-down >/dev/null)
clone
demo 3
say "ok"
