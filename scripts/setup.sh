#!/usr/bin/env bash
# Installs what imgfs needs to build, test and benchmark on Debian 12, if
# missing.  Needs root (apt-get).  Safe to run again: installs nothing
# when everything is there.  Every program a test runs comes from here:
# a test that finds one missing skips, and CI fails on that skip.
set -euo pipefail

PKGS=(
	build-essential autoconf automake libtool pkg-config
	libfuse3-dev fuse3 check libaio-dev
	e2fsprogs fio fuse2fs
	git python3 util-linux mount coreutils diffutils findutils tar dbench
)

missing=()
for p in "${PKGS[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	echo "setup: installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
