#!/usr/bin/env bash
# Install nginx + the nchan module from Debian if either is missing.
set -euo pipefail

have() { command -v nginx >/dev/null 2>&1 && [[ -f /usr/lib/nginx/modules/ngx_nchan_module.so ]]; }
if have; then
    echo "install.sh: nginx + nchan already installed"
    exit 0
fi

as_root=()
if [[ "$(id -u)" -ne 0 ]]; then as_root=(sudo); fi
pkgs=(nginx-light libnginx-mod-nchan)
install() { "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y "${pkgs[@]}"; }

if ! install; then
    echo "install.sh: install failed, running apt-get update and retrying" >&2
    "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update
    install
fi
have || { echo "install.sh: nginx or /usr/lib/nginx/modules/ngx_nchan_module.so still missing" >&2; exit 1; }
echo "install.sh: installed ${pkgs[*]}"
