#!/usr/bin/env bash
# Side-by-side benchmark, all in one run on the same machine and rootfs:
#   resolution: container-compositor --dry-run   vs  lddtree (pax-utils)  vs  ldd in a chroot
#   archiving:  container-compositor --copy      vs  GNU tar czf of the same member list
# Prints hyperfine's tables and the ratios. Usage: bench/compare.sh [ROOTFS] [PROGRAM]
set -euo pipefail
cd "$(dirname "$0")/.."
SRC=${1:-$(bash test/fixtures/source-rootfs.sh | tail -1)}
EXE=${2:-/usr/bin/ffmpeg}
NAME=cc-bench-$(basename "$EXE")
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"; rm -f "$SRC/tmp/$NAME.tar.gz"' EXIT
node scripts/ensure-built.mjs
CC="node bin/container-compositor.js -r $SRC -x $EXE --autodeps none"

# GNU tar gets exactly our member list, without recursion, so both write the same bytes.
$CC --json -t > "$OUT/plan.json"
node -e 'const p=require(process.argv[1]);for(const e of p.entries)console.log(e.path.slice(1))' "$OUT/plan.json" > "$OUT/members"
echo "members: $(wc -l < "$OUT/members"), $(node -e 'console.log((require(process.argv[1]).totals.bytes/1048576).toFixed(1))' "$OUT/plan.json") MiB"

hyperfine -N --warmup 2 --runs 10 --export-json "$OUT/resolve.json" \
  -n container-compositor "$CC -t" \
  -n lddtree "/usr/bin/python3 /usr/bin/lddtree -R $SRC $EXE" \
  -n ldd-chroot "chroot $SRC /usr/bin/ldd $EXE"

hyperfine --warmup 1 --runs 5 --export-json "$OUT/archive.json" \
  -n container-compositor "$CC -c $NAME --force" \
  -n 'GNU tar czf' "tar -C $SRC --no-recursion -czf $OUT/gnu.tar.gz -T $OUT/members"

node - "$OUT/resolve.json" "$OUT/archive.json" <<'JS'
for (const f of process.argv.slice(2)) {
  const r = require(f).results;
  const ours = r[0].mean;
  for (const x of r.slice(1)) console.log(`${x.command}: ${(x.mean * 1000).toFixed(0)} ms vs ours ${(ours * 1000).toFixed(0)} ms -> ours is ${(x.mean / ours).toFixed(2)}x as fast`);
}
JS
ls -l "$SRC/tmp/$NAME.tar.gz" "$OUT/gnu.tar.gz" | awk '{print $5, $9}'
