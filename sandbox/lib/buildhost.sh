# shellcheck shell=bash
# The build host "haskelseed": an sshd on 127.0.0.1:2222 with the fixture host key and one
# authorized key, a bare origin of a small sample app, its build checkout, and a `nix` stand-in
# that compiles it with Debian's GHC.

seed_dir() { echo "$state/haskelseed"; }

# Commits of the sample app are made with fixed names and dates, so every revision is the same on
# every machine. sample/v1 is a whole tree; every later revision's directory holds only the files
# it adds or changes, copied here over its parent revision, the commit checked out in $work.
sample_commit() {
	local work=$1 src=$2 msg=$3 date=$4
	cp -r "$src/." "$work/"
	git -C "$work" add -A
	GIT_AUTHOR_DATE="$date" GIT_COMMITTER_DATE="$date" git -C "$work" commit -q -m "$msg"
}

# sample_stamp identifies the sample app's sources and the history made of them below: when
# either changes, an existing origin.git is outdated.
sample_stamp() {
	local sample=$1
	{
		echo "history 4: v1 v2 | broken-build | crash-at-start | bad-migration | no-migrate, each over its parent"
		(cd "$sample" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum)
	} | sha256sum | cut -c1-32
}

# sample_origin makes the bare repository $2 from the sample revisions in $1.
sample_origin() {
	local sample=$1 dest=$2 work
	work=$(mktemp -d)
	git init -q -b main "$work"
	git -C "$work" config user.name "Inter-Hub Sandbox"
	git -C "$work" config user.email "sandbox@inter-hub.invalid"
	git -C "$work" config commit.gpgsign false
	sample_commit "$work" "$sample/v1" "Sample app v1: hubs table, server and migrate" "2026-01-01T00:00:00Z"
	git -C "$work" tag v1
	sample_commit "$work" "$sample/v2" "Sample app v2: hub regions, new stylesheet and greeting" "2026-01-02T00:00:00Z"
	git -C "$work" tag v2
	# Revisions that fail, each on its own branch off main (v2) and made over v2's tree:
	# a build that fails (its flake marks the image broken),
	git -C "$work" checkout -q -b broken-build
	sample_commit "$work" "$sample/broken" "Sample app: a build that fails" "2026-01-03T00:00:00Z"
	git -C "$work" tag broken-build
	# an image whose server exits 1 right after it starts,
	git -C "$work" checkout -q -b crash-at-start main
	sample_commit "$work" "$sample/crash-at-start" "Sample app: a server that exits at start" "2026-01-04T00:00:00Z"
	git -C "$work" tag crash-at-start
	# and an image whose new migration fails.
	git -C "$work" checkout -q -b bad-migration main
	sample_commit "$work" "$sample/bad-migration" "Sample app: a migration that fails" "2026-01-05T00:00:00Z"
	git -C "$work" tag bad-migration
	# and an image without migrate, as IHP's packages.default alone makes it.
	git -C "$work" checkout -q -b no-migrate main
	sample_commit "$work" "$sample/no-migrate" "Sample app: an image without migrate" "2026-01-06T00:00:00Z"
	git -C "$work" tag no-migrate
	git -C "$work" checkout -q main
	rm -rf "$dest"
	git clone -q --bare "$work" "$dest"
	rm -rf "$work"
}

haskelseed_repo() {
	local seed sample stamp
	seed=$(seed_dir)
	sample=$here/haskelseed/sample
	install -d -m 0755 "$seed" "$seed/store" "$seed/bin"
	stamp=$(sample_stamp "$sample")
	# An origin made from an older sample (or before the stamp existed) is made again, and the
	# build checkout with it: a clone of the old history would build the old app.
	if [ -d "$seed/origin.git" ] && [ "$(cat "$seed/origin.stamp" 2>/dev/null)" != "$stamp" ]; then
		say "haskelseed: the sample app changed since $seed/origin.git was made; making it again"
		rm -rf "$seed/origin.git" "$seed/origin.stamp" "$seed/inter-hub"
	fi
	if [ ! -d "$seed/origin.git" ]; then
		sample_origin "$sample" "$seed/origin.git.tmp"
		mv "$seed/origin.git.tmp" "$seed/origin.git"
		echo "$stamp" >"$seed/origin.stamp"
		say "haskelseed: created $seed/origin.git (tags v1 v2 broken-build crash-at-start bad-migration no-migrate)"
	fi
	if [ ! -d "$seed/inter-hub/.git" ]; then
		rm -rf "$seed/inter-hub"
		git clone -q "$seed/origin.git" "$seed/inter-hub"
		say "haskelseed: cloned the build checkout $seed/inter-hub"
	fi
	# The commands an SSH session finds first on PATH.
	cat >"$seed/bin/nix.tmp" <<EOF
#!/bin/sh
# sandbox: the nix stand-in; written by sandbox.sh.
HASKELSEED_STORE='$seed/store' exec '$here/haskelseed/nix' "\$@"
EOF
	chmod 755 "$seed/bin/nix.tmp"
	mv "$seed/bin/nix.tmp" "$seed/bin/nix"
	ln -sfn "$(command -v crane)" "$seed/bin/crane"
	# The contract names the checkout relative to the SSH user's home: the home sshd gives the
	# user (from the passwd database), which need not be this shell's $HOME.
	local home link
	home=$(getent passwd "$(id -un)" | cut -d: -f6)
	link=${home:-$HOME}/sandbox-haskelseed
	if [ -e "$link" ] && [ ! -L "$link" ]; then
		die "haskelseed: $link exists and is not a symlink; move it away so the sandbox can point it at $seed"
	fi
	[ "$(readlink "$link" 2>/dev/null)" = "$seed" ] || ln -sfn "$seed" "$link"
}

sshd_config() {
	local dir=$state/sshd seed
	seed=$(seed_dir)
	install -d -m 0700 "$dir"
	install -m 0600 "$here/fixtures/ssh_host_ed25519_key" "$dir/ssh_host_ed25519_key"
	install -m 0644 "$here/fixtures/ssh_host_ed25519_key.pub" "$dir/ssh_host_ed25519_key.pub"
	install -m 0644 "$here/fixtures/haskelseed_ed25519.pub" "$dir/authorized_keys"
	# A copy of the client key with the mode OpenSSH insists on (git does not keep it).
	install -m 0600 "$here/fixtures/haskelseed_ed25519" "$dir/client_ed25519"
	printf '[%s]:%s %s\n' "$HOST" "$SSH_PORT" "$(cut -d' ' -f1,2 "$here/fixtures/ssh_host_ed25519_key.pub")" >"$dir/known_hosts"
	local user
	user=$(id -un)
	# Paths are double-quoted: sshd splits unquoted arguments at spaces, and a checkout's path
	# may hold one.
	cat >"$dir/sshd_config" <<EOF
# sandbox: written by sandbox.sh on every up; edits are lost.
Port $SSH_PORT
ListenAddress $HOST
HostKey "$dir/ssh_host_ed25519_key"
PidFile none
AuthorizedKeysFile "$dir/authorized_keys"
AllowUsers $user
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
UsePAM no
# The state dir may sit in a group-writable checkout; the keys themselves are fixtures anyway.
StrictModes no
X11Forwarding no
AllowTcpForwarding no
PrintMotd no
Subsystem sftp internal-sftp
# What a session on haskelseed finds: the nix stand-in and crane first, then the system.
# SSL_CERT_DIR adds the sandbox CA for Go tools (crane) talking to the registry.
SetEnv "PATH=$seed/bin:/usr/local/bin:/usr/bin:/bin" "SSL_CERT_DIR=/etc/ssl/certs:$state/registry/trust"
LogLevel INFO
EOF
}

sshd_healthy() {
	# The banner is enough: the full login is checked once after start.
	exec 3<>"/dev/tcp/$HOST/$SSH_PORT" || return 1
	local banner
	read -r -t 2 banner <&3 || true
	exec 3>&-
	[[ $banner == SSH-2.0-* ]]
}

# ssh splits UserKnownHostsFile's value at spaces (it takes a list); the inner quotes keep a
# path with a space in it one file.
ssh_probe() {
	ssh -F none -o BatchMode=yes -o IdentitiesOnly=yes -o ConnectTimeout=3 \
		-o "UserKnownHostsFile=\"$state/sshd/known_hosts\"" -o StrictHostKeyChecking=yes \
		-i "$state/sshd/client_ed25519" -p "$SSH_PORT" "$(id -un)@$HOST" "$@"
}

buildhost_up() {
	local t0 pid
	t0=$(now_ms)
	haskelseed_repo
	sshd_config
	if pid=$(running sshd); then
		say "sshd: already running (pid $pid)"
	else
		require_port_free sshd "$SSH_PORT"
		# Privilege separation needs this directory; Debian creates it only when its own sshd runs.
		install -d -m 0755 /run/sshd
		/usr/sbin/sshd -t -f "$state/sshd/sshd_config" || die "sshd rejects $state/sshd/sshd_config"
		spawn sshd /usr/sbin/sshd -D -e -f "$state/sshd/sshd_config"
		wait_until "sshd on $HOST:$SSH_PORT" 15 sshd sshd_healthy
	fi
	local out
	out=$(ssh_probe 'command -v nix crane skopeo git gzip timeout sha256sum ghc | wc -l' 2>&1) ||
		fail_with_log sshd "ssh login to $HOST:$SSH_PORT with the fixture key failed: $out"
	[ "$out" = 8 ] || die "haskelseed: an SSH session does not find nix, crane, skopeo, git, gzip, timeout, sha256sum and ghc on PATH"
	say "build host: ready ($(since "$t0"))"
}

buildhost_down() { stop sshd TERM 10; }
