// The product's main job on real input: compose ffmpeg from a debootstrap rootfs, unpack
// it at / of busybox+glibc targets in both layouts with both tars, and run it there.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { realpathSync, rmSync, existsSync, lstatSync, readlinkSync } from 'node:fs';
import * as path from 'node:path';
import { chrootRun, makeTarget, sourceRootfs } from '../helpers/fixtures';
import { runCli } from '../helpers/cli';
import { ldd } from '../helpers/ldd';
import { buildPlan } from '../../src/engine';
import { Rootfs } from '../../src/engine/rootfs';

describe('end to end: ffmpeg from a debootstrap rootfs into busybox+glibc targets', function () {
  this.timeout(30 * 60_000);
  let src: string;
  let archive: string;
  const name = `cc-e2e-ffmpeg-${process.pid}`;

  before(function () {
    src = sourceRootfs();
    // Unique per process: the cached rootfs is shared by concurrent test runs.
    archive = path.join(src, 'tmp', `${name}.tar.gz`);
    rmSync(archive, { force: true });
  });
  after(() => rmSync(archive, { force: true }));

  it('resolves the same set of files as ldd inside the rootfs', async () => {
    const oracle = ldd('/usr/bin/ffmpeg', src);
    assert.ok(oracle.found.size > 100, `ldd in the chroot listed only ${oracle.found.size} libraries`);
    assert.deepEqual(oracle.missing, []);
    const fs = await Rootfs.open(src);
    const want = new Set<string>();
    for (const p of [...oracle.found.values(), oracle.interp!]) want.add((await fs.resolve(p)).path);
    const plan = await buildPlan({ root: src, exes: ['/usr/bin/ffmpeg'], autodeps: 'none' });
    const got = new Set(plan.entries.filter((e) => e.type === 'file' && e.path !== '/usr/bin/ffmpeg').map((e) => e.path));
    assert.deepEqual([...got].sort(), [...want].sort());
    assert.deepEqual(plan.unresolved, []);
  });

  it('writes <rootfs>/tmp/NAME.tar.gz and refuses to replace it without --force', () => {
    const r = runCli(['-x', '/usr/bin/ffmpeg', '-r', src, '-c', name]);
    assert.equal(r.status, 0, r.stderr);
    assert.ok(existsSync(archive));
    const again = runCli(['-x', '/usr/bin/ffmpeg', '-r', src, '-c', name]);
    assert.equal(again.status, 3);
    assert.match(again.stderr, /already exists; use --force/);
    const list = spawnSync('tar', ['-tzf', archive], { encoding: 'utf8', maxBuffer: 1 << 26 }).stdout.split('\n').filter(Boolean);
    assert.ok(list.includes('usr/bin/ffmpeg'));
    // No layout alias as a member, no wrapper directory, no absolute names. Under an alias
    // only the data the plan places there (see PlanEntry.member), never an ELF object.
    const plan = JSON.parse(runCli(['-x', '/usr/bin/ffmpeg', '-r', src, '-t', '--json']).stdout) as { entries: { path: string; member?: string; rule?: string }[] };
    const placed = new Set(plan.entries.filter((e) => e.member).map((e) => e.member!.slice(1)));
    assert.ok(plan.entries.every((e) => !e.member || (e.rule !== 'elf' && e.rule !== 'target')));
    for (const m of list) {
      assert.ok(!/^(bin|sbin|lib|lib32|lib64|libx32)\/?$/.test(m), `member ${m} would replace a layout link`);
      if (/^(bin|sbin|lib|lib32|lib64|libx32)\//.test(m)) assert.ok(placed.has(m.replace(/\/$/, '')), `member ${m} goes through a layout link unplanned`);
      assert.ok(!m.startsWith('/') && !m.startsWith('./'), m);
    }
  });

  for (const layout of ['flat', 'merged'] as const) {
    for (const unpacker of ['gnu', 'busybox'] as const) {
      it(`runs in a ${layout} target unpacked with ${unpacker} tar`, () => {
        const target = makeTarget(layout);
        try {
          const lib64 = path.join(target, 'lib64');
          const before = lstatSync(lib64).isSymbolicLink() ? readlinkSync(lib64) : undefined;
          if (unpacker === 'gnu') {
            const r = spawnSync('tar', ['-xzf', archive, '-C', target], { encoding: 'utf8' });
            assert.equal(r.status, 0, r.stderr);
          } else {
            spawnSync('cp', [archive, path.join(target, 'tmp', 'a.tar.gz')]);
            const r = chrootRun(target, 'tar -xzf /tmp/a.tar.gz -C / && rm /tmp/a.tar.gz');
            assert.equal(r.status, 0, r.stderr);
          }
          // The trap: the target's lib64 link must survive the unpacking.
          assert.equal(lstatSync(lib64).isSymbolicLink() ? readlinkSync(lib64) : undefined, before);
          const v = chrootRun(target, '/usr/bin/ffmpeg -hide_banner -version');
          assert.equal(v.status, 0, v.stderr);
          assert.match(v.stdout, /^ffmpeg version /);
          const t = chrootRun(target, '/usr/bin/ffmpeg -hide_banner -loglevel error -f lavfi -i testsrc=duration=1:size=160x120:rate=10 -c:v mpeg4 -y /tmp/out.mp4 && ls -l /tmp/out.mp4');
          assert.equal(t.status, 0, t.stderr);
          const size = Number(t.stdout.trim().split(/\s+/)[4]);
          assert.ok(size > 1000, `transcode output is only ${size} bytes`);
          const sh = chrootRun(target, 'echo still-works; ls / >/dev/null');
          assert.equal(sh.status, 0, sh.stderr);
          assert.equal(sh.stdout.trim(), 'still-works');
        } finally {
          rmSync(realpathSync(target), { recursive: true, force: true });
        }
      });
    }
  }
});
