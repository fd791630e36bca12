// A source rootfs of the older, split layout (real /bin, /lib and /lib64; dpkg's paths are
// the real ones): what it composes must run in both target layouts too. Here the layout
// alias rule matters the other way round: /lib and /lib64 are real directories in the
// source, and must still never become directory members.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { chrootRun, makeTarget, sourceRootfs } from '../helpers/fixtures';
import { runCli } from '../helpers/cli';

describe('end to end: a split-/usr source rootfs into busybox+glibc targets', function () {
  this.timeout(30 * 60_000);
  let src: string;
  const written: string[] = [];

  before(() => {
    src = sourceRootfs('split');
    assert.ok(!fs.lstatSync(path.join(src, 'lib')).isSymbolicLink(), 'the fixture has a real /lib');
  });
  after(() => written.forEach((a) => fs.rmSync(a, { force: true })));

  for (const [exe, check, expect] of [
    ['/bin/bash', 'bash -c "echo \\$((6 * 7))"', /^42$/m],
    ['/usr/bin/curl', 'curl --version', /^curl \d/m],
  ] as const) {
    for (const layout of ['flat', 'merged'] as const) {
      it(`${exe} runs in a ${layout} target`, () => {
        const name = `cc-split-${process.pid}-${path.basename(exe)}`;
        const archive = path.join(src, 'tmp', `${name}.tar.gz`);
        written.push(archive);
        const r = runCli(['-r', src, '-x', exe, '-c', name, '--force']);
        assert.equal(r.status, 0, r.stderr);
        const members = spawnSync('tar', ['-tzf', archive], { encoding: 'utf8' }).stdout.split('\n');
        for (const m of members) assert.ok(!/^(bin|sbin|lib|lib64)\/?$/.test(m), `layout alias ${m} is a member`);
        const target = makeTarget(layout, src);
        try {
          const lib64 = fs.readlinkSync(path.join(target, 'lib64'));
          const x = spawnSync('tar', ['-xzf', archive, '-C', target], { encoding: 'utf8' });
          assert.equal(x.status, 0, x.stderr);
          assert.equal(fs.readlinkSync(path.join(target, 'lib64')), lib64, 'the target keeps its lib64 link');
          const run = chrootRun(target, check);
          assert.equal(run.status, 0, run.stderr);
          assert.match(run.stdout, expect);
          assert.equal(chrootRun(target, 'echo sh-ok').stdout.trim(), 'sh-ok');
        } finally {
          fs.rmSync(target, { recursive: true, force: true });
        }
      });
    }
  }
});
