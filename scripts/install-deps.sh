#!/usr/bin/env bash
# Installs what building and testing Tack needs and is missing: libgit2 (with headers),
# pkg-config, git, Python with venv (the MCP client tests run the official Python SDK), and
# openssh-server (the ssh sync test starts its own sshd on a loopback port), and chromium (the
# web board's browser test runs it headless).
# Debian/Ubuntu via apt-get; uses sudo when not root. Does nothing when all is present.
set -euo pipefail

missing=()
command -v pkg-config >/dev/null 2>&1 || missing+=(pkg-config)
if ! pkg-config --exists libgit2 2>/dev/null; then missing+=(libgit2-dev); fi
command -v git >/dev/null 2>&1 || missing+=(git)
[ -x /usr/sbin/sshd ] || missing+=(openssh-server)
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
if ! command -v python3 >/dev/null 2>&1; then
  missing+=(python3 python3-venv)
elif ! python3 -c 'import ensurepip, venv' >/dev/null 2>&1; then
  missing+=(python3-venv)
fi
[ ${#missing[@]} -eq 0 ] && exit 0

if ! command -v apt-get >/dev/null 2>&1; then
  echo "install-deps: please install ${missing[*]} with your system's package manager" >&2
  exit 1
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
echo "install-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
# A fresh machine may have no package lists yet: update once if the install cannot find them.
$sudo apt-get install -y "${missing[@]}" >/dev/null 2>&1 || {
  $sudo apt-get update -q >/dev/null
  $sudo apt-get install -y -q "${missing[@]}"
}
pkg-config --exists libgit2
