// The CLI as a user meets it: flags, exit codes, the dry-run report and the JSON schema.
import * as assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync, existsSync, readdirSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runCli } from '../helpers/cli';

/** A tiny merged-/usr rootfs holding the host's git and the libraries it needs. */
function gitRoot(opts: { dropZlib?: boolean } = {}): string {
  const root = mkdtempSync(path.join(os.tmpdir(), 'cc-cli-'));
  const lib = path.join(root, 'usr/lib/x86_64-linux-gnu');
  mkdirSync(lib, { recursive: true });
  mkdirSync(path.join(root, 'usr/bin'));
  mkdirSync(path.join(root, 'usr/lib64'));
  mkdirSync(path.join(root, 'tmp'), { mode: 0o1777 });
  symlinkSync('usr/lib', path.join(root, 'lib'));
  symlinkSync('usr/lib64', path.join(root, 'lib64'));
  copyFileSync('/usr/bin/git', path.join(root, 'usr/bin/git'));
  for (const f of ['ld-linux-x86-64.so.2', 'libc.so.6', 'libpcre2-8.so.0', ...(opts.dropZlib ? [] : ['libz.so.1'])]) {
    copyFileSync(path.join('/usr/lib/x86_64-linux-gnu', f), path.join(lib, f));
  }
  symlinkSync('/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2', path.join(root, 'usr/lib64/ld-linux-x86-64.so.2'));
  return root;
}

describe('CLI', function () {
  this.timeout(60_000);
  const roots: string[] = [];
  after(() => roots.forEach((r) => rmSync(r, { recursive: true, force: true })));
  const mk = (o?: { dropZlib?: boolean }) => { const r = gitRoot(o); roots.push(r); return r; };

  it('prints help and version with exit 0', () => {
    const h = runCli(['-h']);
    assert.equal(h.status, 0);
    assert.match(h.stdout, /--exe PATH/);
    const v = runCli(['-V']);
    assert.equal(v.status, 0);
    assert.match(v.stdout, /^container-compositor \d+\.\d+\.\d+/);
  });

  it('exits 2 on a usage error and names the problem', () => {
    const r = runCli(['--bogus']);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /bogus/);
    assert.equal(runCli(['-r', '/']).status, 2);
    assert.equal(runCli(['-x', '/usr/bin/git', '--autodeps', 'lots']).status, 2);
    // A relative path is most likely the rootfs path without its slash.
    const rel = runCli(['-x', 'usr/bin/git']);
    assert.equal(rel.status, 2);
    assert.match(rel.stderr, /\(e\.g\. \/usr\/bin\/git\)/);
    assert.match(runCli(['-x', 'git']).stderr, /\(e\.g\. \/usr\/bin\/git\)/);
  });

  it('rejects a bad archive name in a dry run as in a real one, and composes a repeated program once', () => {
    const root = mk();
    for (const dry of [['-t'], []]) {
      const r = runCli(['-r', root, '-x', '/usr/bin/git', '-c', '../../etc/x', ...dry]);
      assert.equal(r.status, 2, `${dry.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, /invalid archive name "..\/..\/etc\/x"/);
    }
    const twice = runCli(['-r', root, '-x', '/usr/bin/git', '-x', '/usr/bin/git', '-t', '--autodeps', 'none']);
    assert.equal(twice.status, 0, twice.stderr);
    assert.equal(twice.stdout.match(/^\/usr\/bin\/git \(interpreter/gm)?.length, 1);
  });

  it('exits 3 naming the file when a target does not exist', () => {
    const root = mk();
    const r = runCli(['-r', root, '-x', '/usr/bin/nope', '-t']);
    assert.equal(r.status, 3);
    assert.match(r.stderr, /\/usr\/bin\/nope: does not exist/);
    assert.doesNotMatch(r.stderr, /at .*\.js:\d+/);
  });

  it('prints an lddtree-style dry run with how each library was found', () => {
    const root = mk();
    const r = runCli(['-r', root, '-x', '/usr/bin/git', '-t', '--autodeps', 'none']);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^\/usr\/bin\/git \(interpreter => \/lib64\/ld-linux-x86-64.so.2\)$/m);
    assert.match(r.stdout, /^ {4}libz\.so\.1 => \/lib\/x86_64-linux-gnu\/libz\.so\.1 \[default dirs \/lib\/x86_64-linux-gnu\]/m);
    assert.match(r.stdout, /file .*usr\/lib\/x86_64-linux-gnu\/libc\.so\.6/);
    assert.match(r.stdout, /Unresolved: none/);
    assert.deepEqual(readdirSync(path.join(root, 'tmp')), [], 'a dry run writes nothing');
  });

  it('emits the documented JSON schema', () => {
    const root = mk();
    const r = runCli(['-r', root, '-x', '/usr/bin/git', '--json', '-t', '--autodeps', 'none']);
    assert.equal(r.status, 0, r.stderr);
    const j = JSON.parse(r.stdout);
    for (const k of ['root', 'targets', 'entries', 'unresolved', 'totals']) assert.ok(k in j, k);
    const git = j.entries.find((e: { path: string }) => e.path === '/usr/bin/git');
    assert.deepEqual(Object.keys(git).filter((k) => ['path', 'type', 'size', 'mode', 'uid', 'gid', 'reasons'].includes(k)).length, 7);
    assert.equal(git.type, 'file');
    const interp = j.entries.find((e: { path: string }) => e.path === '/usr/lib64/ld-linux-x86-64.so.2');
    assert.equal(interp.type, 'symlink');
    assert.equal(interp.linkTarget, '/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2');
    assert.deepEqual(Object.keys(j.totals).sort(), ['bytes', 'dirs', 'files', 'hardlinks', 'symlinks']);
  });

  it('exits 1 on an unresolved library and writes nothing, unless --allow-missing', () => {
    const root = mk({ dropZlib: true });
    const r = runCli(['-r', root, '-x', '/usr/bin/git', '-c', 'g', '--autodeps', 'none']);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /libz\.so\.1 needed by \/usr\/bin\/git/);
    assert.ok(!existsSync(path.join(root, 'tmp/g.tar.gz')));
    const j = JSON.parse(runCli(['-r', root, '-x', '/usr/bin/git', '--json', '-t', '--autodeps', 'none']).stdout);
    assert.deepEqual(j.unresolved[0].soname, 'libz.so.1');
    assert.ok(j.unresolved[0].searched.includes('/usr/lib/x86_64-linux-gnu'));
    const w = runCli(['-r', root, '-x', '/usr/bin/git', '-c', 'g', '--allow-missing', '--autodeps', 'none']);
    assert.equal(w.status, 0, w.stderr);
    assert.ok(existsSync(path.join(root, 'tmp/g.tar.gz')));
  });

  it('refuses a tmp that is a symlink leading out of the rootfs, writing nothing anywhere', () => {
    const root = mk();
    const outside = mkdtempSync(path.join(os.tmpdir(), 'cc-outside-'));
    roots.push(outside);
    rmSync(path.join(root, 'tmp'), { recursive: true });
    symlinkSync(path.relative(root, outside).replace(/^/, ''), path.join(root, 'tmp'));
    const r = runCli(['-r', root, '-x', '/usr/bin/git', '-c', 'g', '--autodeps', 'none']);
    assert.equal(r.status, 3);
    assert.match(r.stderr, /tmp is a symlink that leads outside the root filesystem/);
    assert.deepEqual(readdirSync(outside), []);
  });

  it("adds what a profile's keep globs name, and keeps it from the filters", () => {
    const root = mk();
    mkdirSync(path.join(root, 'usr/share/doc/app'), { recursive: true });
    writeFileSync(path.join(root, 'usr/share/doc/app/README'), 'doc');
    mkdirSync(path.join(root, 'opt/data/sub'), { recursive: true });
    writeFileSync(path.join(root, 'opt/data/a.conf'), 'a');
    writeFileSync(path.join(root, 'opt/data/sub/b.conf'), 'b');
    writeFileSync(path.join(root, 'opt/data/c.txt'), 'c');
    const profile = path.join(root, 'p.yaml');
    writeFileSync(profile, 'config:\n  filters: [doc]\n  keep:\n    - /opt/data/**/*.conf\n    - /usr/share/doc/app\n');
    const r = runCli(['-r', root, '-x', '/usr/bin/git', '-p', profile, '--json', '-t', '--autodeps', 'none']);
    assert.equal(r.status, 0, r.stderr);
    const paths = JSON.parse(r.stdout).entries.map((e: { path: string }) => e.path);
    for (const p of ['/opt/data/a.conf', '/opt/data/sub/b.conf', '/usr/share/doc/app/README']) assert.ok(paths.includes(p), p);
    assert.ok(!paths.includes('/opt/data/c.txt'));
  });

  it('writes with --force over an existing archive', () => {
    const root = mk();
    writeFileSync(path.join(root, 'tmp/g.tar.gz'), 'old');
    assert.equal(runCli(['-r', root, '-x', '/usr/bin/git', '-c', 'g', '--autodeps', 'none']).status, 3);
    const r = runCli(['-r', root, '-x', '/usr/bin/git', '-c', 'g', '--force', '--autodeps', 'none']);
    assert.equal(r.status, 0, r.stderr);
  });
});
