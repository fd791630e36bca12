// Hostile root filesystems (issue 4): every case is built in a temp dir from synthetic ELF
// objects, run through the built CLI as a user would, and every archive written is
// checked by an independent tar reader, by the safety rules and by GNU tar. Needs root
// (mknod, mount, setpriv), as CI has.
import { strict as assert } from 'node:assert';
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { buildPlan, writeArchive, ComposeError } from '../../src/engine';
import { decodeName, encodeName } from '../../src/engine/rootfs';
import { isUtf8 } from 'node:buffer';
import { pseudoRandom } from '../helpers/elfBuilder';
import {
  HostileRoot, LIBDIR, assertCleanError, canRunAsNobody, hasTool, isRoot, runCli, startCli, tracedAccessesUnder, waitFor,
} from '../helpers/hostileRoot';
import { checkArchive, gnuTarRoundTrip, memberNames } from '../helpers/tarCheck';

const sha = (f: string) => createHash('sha256').update(fs.readFileSync(f)).digest('hex');

describe('hostile root filesystems', function () {
  this.timeout(120_000);
  let roots: HostileRoot[] = [];
  const make = (opts?: { minimal?: boolean }) => {
    const r = new HostileRoot(opts);
    roots.push(r);
    return r;
  };

  before(function () {
    if (!isRoot) this.skip();
    execFileSync(process.execPath, ['scripts/ensure-built.mjs'], { cwd: path.resolve(__dirname, '../..'), stdio: 'inherit' });
  });
  let children: ChildProcess[] = [];
  afterEach(() => {
    for (const c of children) c.kill('SIGKILL');
    children = [];
    for (const r of roots) r.cleanup();
    roots = [];
  });

  /** Composes /usr/bin/prog (or `exe`) and returns the CLI result plus the archive's members when written. */
  const compose = (r: HostileRoot, exe = '/usr/bin/prog', extra: string[] = [], opts: Parameters<typeof runCli>[1] = {}) => {
    const res = runCli(['-r', r.root, '-x', exe, ...extra], opts);
    const name = extra.includes('-c') ? extra[extra.indexOf('-c') + 1] : path.posix.basename(exe);
    const file = r.archive(name);
    const members = res.status === 0 && fs.existsSync(file) ? memberNames(checkArchive(file)) : undefined;
    return { ...res, members, file };
  };

  describe('symlink loops', () => {
    it('a target that links to itself: clear error', () => {
      const r = make();
      r.link('/usr/bin/prog', 'prog');
      assertCleanError(compose(r), 3, /\/usr\/bin\/prog: too many levels of symbolic links/);
      assert.deepEqual(r.tmpEntries(), []);
    });

    it('targets that link to each other: clear error', () => {
      const r = make();
      r.link('/usr/bin/prog', 'other').link('/usr/bin/other', '/usr/bin/prog');
      assertCleanError(compose(r), 3, /too many levels of symbolic links/);
    });

    // As in glibc, a candidate that cannot be opened is skipped and the search goes on, so
    // the library ends up unresolved (exit 1), with the reason named in a warning.
    it('a library that links to itself, or two that link to each other: unresolved, the loop named', () => {
      const r = make();
      r.program('/usr/bin/prog', ['libself.so.1']).link(`${LIBDIR}/libself.so.1`, 'libself.so.1');
      assertCleanError(compose(r), 1, /libself\.so\.1: too many levels of symbolic links/);
      const r2 = make();
      r2.program('/usr/bin/prog', ['liba.so.1']).link(`${LIBDIR}/liba.so.1`, 'libb.so.1').link(`${LIBDIR}/libb.so.1`, `${LIBDIR}/liba.so.1`);
      assertCleanError(compose(r2), 1, /liba\.so\.1: too many levels of symbolic links/);
    });

    it('a loop in a directory on the library path: clear error', () => {
      const r = make();
      r.program('/usr/bin/prog', ['libx.so.1']).link('/usr/lib/x86_64-linux-gnu', '../lib/x86_64-linux-gnu/../../usr/lib/x86_64-linux-gnu');
      assertCleanError(compose(r), 3, /too many levels of symbolic links/);
    });
  });

  describe('escapes from the rootfs', () => {
    // Outside the root, things the engine would pick up if it ever left the rootfs.
    const withOutside = (r: HostileRoot) => {
      fs.mkdirSync(path.join(r.outside, 'libdir'));
      fs.writeFileSync(path.join(r.outside, 'libdir', 'libout.so.1'), fs.readFileSync(r.host(`${LIBDIR}/libc.so.6`)));
      fs.writeFileSync(path.join(r.outside, 'prog'), fs.readFileSync(r.host(`${LIBDIR}/libc.so.6`)));
      fs.writeFileSync(path.join(r.outside, 'escape.conf'), '/opt/secret\n');
      fs.mkdirSync(path.join(r.outside, 'conf.d'));
      fs.writeFileSync(path.join(r.outside, 'conf.d', 'x.conf'), '/opt/secret\n');
      return r;
    };
    const up = (r: HostileRoot, from: string) => '../'.repeat(from.split('/').length + 3) + path.relative('/', r.outside);

    const strace = hasTool('strace');
    /** Runs the CLI under strace and fails if any syscall named a path in `outside`. */
    const composeTraced = (r: HostileRoot, extra: string[] = []) => {
      const log = path.join(r.base, 'strace.log');
      const before = r.outsideEntries();
      const res = compose(r, '/usr/bin/prog', extra, strace ? { straceLog: log } : {});
      if (strace) assert.deepEqual(tracedAccessesUnder(log, r.outside), [], 'the run touched a path outside the rootfs');
      assert.deepEqual(r.outsideEntries(), before, 'the run wrote outside the rootfs');
      return res;
    };

    it('a target linking out (absolute and ../..) is resolved inside the rootfs', () => {
      const r = withOutside(make());
      r.link('/usr/bin/prog', path.join(r.outside, 'prog'));
      assertCleanError(composeTraced(r), 3, /does not exist in the root filesystem/);
      const r2 = withOutside(make());
      r2.link('/usr/bin/prog', up(r2, '/usr/bin/prog') + '/prog');
      assertCleanError(composeTraced(r2), 3, /does not exist in the root filesystem/);
      // The same absolute text, re-rooted, names a file inside: that one is taken.
      const r3 = withOutside(make());
      r3.link('/usr/bin/prog', path.join(r3.outside, 'prog')).program(path.join(r3.outside, 'prog'));
      const ok = composeTraced(r3);
      assert.equal(ok.status, 0, ok.stderr);
      assert.ok(ok.members!.includes(path.join(r3.outside, 'prog').slice(1)));
    });

    it('a library linking out is not found; nothing outside is read', () => {
      const r = withOutside(make());
      r.program('/usr/bin/prog', ['libout.so.1']).link(`${LIBDIR}/libout.so.1`, path.join(r.outside, 'libdir/libout.so.1'));
      assertCleanError(composeTraced(r), 1, /libout\.so\.1 needed by \/usr\/bin\/prog/);
      const r2 = withOutside(make());
      r2.program('/usr/bin/prog', ['libout.so.1']).link(`${LIBDIR}/libout.so.1`, up(r2, `${LIBDIR}/libout.so.1`) + '/libdir/libout.so.1');
      assertCleanError(composeTraced(r2), 1, /libout\.so\.1 needed by/);
    });

    it('a directory on the library path linking out (default dir, RUNPATH) is not followed out', () => {
      const r = withOutside(make());
      r.program('/usr/bin/prog', ['libout.so.1']).link('/usr/lib/x86_64-linux-gnu', path.join(r.outside, 'libdir'));
      assertCleanError(composeTraced(r), 1, /libout\.so\.1 needed by/);
      const r2 = withOutside(make());
      r2.program('/usr/bin/prog', ['libout.so.1'], { runpath: '/opt/app/lib' }).link('/opt/app/lib', up(r2, '/opt/app/lib') + '/libdir');
      assertCleanError(composeTraced(r2), 1, /libout\.so\.1 needed by/);
      const r3 = withOutside(make());
      r3.program('/usr/bin/prog', ['libout.so.1'], { runpath: path.join(r3.outside, 'libdir') });
      assertCleanError(composeTraced(r3), 1, /libout\.so\.1 needed by/);
    });

    it('ld.so.conf includes linking out are not read', () => {
      // /opt/secret holds the library; only the outside conf files name it.
      const build = () => {
        const r = withOutside(make());
        r.program('/usr/bin/prog', ['libsecret.so.1']).elf('/opt/secret/libsecret.so.1', { soname: 'libsecret.so.1' });
        return r;
      };
      const r = build();
      r.file('/etc/ld.so.conf', `include ${path.join(r.outside, 'escape.conf')}\ninclude ${up(r, '/etc/ld.so.conf')}/conf.d/*.conf\n`);
      assertCleanError(composeTraced(r), 1, /libsecret\.so\.1 needed by/);
      const r2 = build();
      fs.rmSync(r2.host('/etc/ld.so.conf.d'), { recursive: true });
      r2.link('/etc/ld.so.conf.d', path.join(r2.outside, 'conf.d'));
      assertCleanError(composeTraced(r2), 1, /libsecret\.so\.1 needed by/);
      const r3 = build();
      r3.link('/etc/ld.so.conf.d/x.conf', up(r3, '/etc/ld.so.conf.d/x.conf') + '/escape.conf');
      assertCleanError(composeTraced(r3), 1, /libsecret\.so\.1 needed by/);
      // Control: the same conf inside the rootfs does find it.
      const r4 = build();
      r4.file('/etc/ld.so.conf.d/x.conf', '/opt/secret\n');
      assert.equal(compose(r4).status, 0);
    });

    for (const kind of ['absolute', 'relative'] as const) {
      it(`a tmp linking out (${kind}) is refused and nothing is written anywhere`, () => {
        const r = withOutside(make());
        r.program('/usr/bin/prog');
        fs.rmdirSync(r.host('/tmp'));
        fs.mkdirSync(path.join(r.outside, 'tmpout'), { mode: 0o1777 });
        r.link('/tmp', kind === 'absolute' ? path.join(r.outside, 'tmpout') : `../outside/tmpout`);
        const before = fs.readdirSync(r.root).sort();
        assertCleanError(composeTraced(r), 3, /tmp is a symlink that leads outside the root filesystem.*refusing to write/);
        assert.deepEqual(fs.readdirSync(path.join(r.outside, 'tmpout')), []);
        assert.deepEqual(fs.readdirSync(r.root).sort(), before);
      });
    }

    it('a tmp that is a file, or missing, is handled without writing outside', () => {
      const r = make();
      r.program('/usr/bin/prog');
      fs.rmdirSync(r.host('/tmp'));
      r.file('/tmp', 'not a dir');
      assertCleanError(compose(r), 3, /tmp/);
      const r2 = make();
      r2.program('/usr/bin/prog');
      fs.rmdirSync(r2.host('/tmp'));
      const ok = compose(r2);
      assert.equal(ok.status, 0, ok.stderr);
      assert.ok(fs.existsSync(r2.archive('prog')));
    });
  });

  describe('special files', () => {
    /** A FIFO with a writer blocked on it: if anything opened the FIFO for reading, the writer would finish. */
    const guardedFifo = (r: HostileRoot, p: string) => {
      r.fifo(p);
      const writer = spawn('sh', ['-c', 'echo x > "$1"', 'sh', r.host(p)], { stdio: 'ignore' });
      writer.unref();
      children.push(writer);
      return () => {
        const opened = writer.exitCode !== null;
        writer.kill('SIGKILL');
        return opened;
      };
    };

    for (const kind of ['fifo', 'socket', 'device'] as const) {
      it(`a ${kind} where a library should be is never opened and is reported`, () => {
        const r = make();
        r.program('/usr/bin/prog', ['libspecial.so.1']);
        let opened = () => false;
        if (kind === 'fifo') opened = guardedFifo(r, `${LIBDIR}/libspecial.so.1`);
        else if (kind === 'socket') r.socket(`${LIBDIR}/libspecial.so.1`);
        else r.device(`${LIBDIR}/libspecial.so.1`);
        const res = compose(r, '/usr/bin/prog', [], { timeoutMs: 30_000 });
        assertCleanError(res, 1, /libspecial\.so\.1: is a special file \(FIFO, socket or device\) where a library was expected; not opened/);
        assert.ok(!opened(), 'the FIFO was opened');
        const ok = compose(r, '/usr/bin/prog', ['--allow-missing'], { timeoutMs: 30_000 });
        assert.equal(ok.status, 0, ok.stderr);
        assert.match(ok.stderr, /warning: .*libspecial\.so\.1: is a special file/);
        assert.ok(!ok.members!.some((m) => m.includes('libspecial')));
        assert.ok(!opened(), 'the FIFO was opened');
      });
    }

    it('special files as target, interpreter and ld.so.conf are never opened', () => {
      const r = make();
      const opened = guardedFifo(r, '/usr/bin/fifo');
      assertCleanError(compose(r, '/usr/bin/fifo', [], { timeoutMs: 30_000 }), 3, /\/usr\/bin\/fifo: is a special file/);
      r.device('/usr/bin/dev');
      assertCleanError(compose(r, '/usr/bin/dev'), 3, /\/usr\/bin\/dev: is a special file/);
      r.socket('/usr/bin/sock');
      assertCleanError(compose(r, '/usr/bin/sock'), 3, /\/usr\/bin\/sock: is a special file/);
      assert.ok(!opened(), 'the FIFO was opened');

      const r2 = make();
      r2.program('/usr/bin/prog', [], { interp: '/lib64/ld-fifo.so' });
      const opened2 = guardedFifo(r2, '/lib64/ld-fifo.so');
      fs.rmSync(r2.host('/etc/ld.so.conf'));
      const opened3 = guardedFifo(r2, '/etc/ld.so.conf');
      const res = compose(r2, '/usr/bin/prog', [], { timeoutMs: 30_000 });
      assertCleanError(res, 1, /\/lib64\/ld-fifo\.so needed by \/usr\/bin\/prog/);
      assert.match(res.stderr, /ld\.so\.conf: not a regular file, skipped/);
      assert.ok(!opened2() && !opened3(), 'a FIFO was opened');
    });
  });

  describe('unreadable files and directories (as nobody)', () => {
    const asNobody = { asNobody: true };
    before(function () {
      if (!canRunAsNobody()) this.skip();
    });

    it('an unreadable target: clear error', () => {
      const r = make();
      r.program('/usr/bin/prog');
      fs.chmodSync(r.host('/usr/bin/prog'), 0o700);
      assertCleanError(compose(r, '/usr/bin/prog', [], asNobody), 3, /\/usr\/bin\/prog: permission denied/);
    });

    it('an unreadable library: reported, not a crash', () => {
      const r = make();
      r.program('/usr/bin/prog', ['libsecret.so.1']).elf(`${LIBDIR}/libsecret.so.1`, { soname: 'libsecret.so.1' });
      fs.chmodSync(r.host(`${LIBDIR}/libsecret.so.1`), 0o600);
      assertCleanError(compose(r, '/usr/bin/prog', [], asNobody), 1, /libsecret\.so\.1: permission denied/);
    });

    it('an unreadable library directory: unresolved, the directory named', () => {
      const r = make();
      r.program('/usr/bin/prog', ['libsecret.so.1']).elf('/opt/private/libsecret.so.1', { soname: 'libsecret.so.1' });
      r.file('/etc/ld.so.conf.d/p.conf', '/opt/private\n');
      fs.chmodSync(r.host('/opt/private'), 0o700);
      assertCleanError(compose(r, '/usr/bin/prog', [], asNobody), 1, /\/opt\/private\/\S+: permission denied/);
    });

    it('an unreadable ld.so.conf and conf dir: warnings, the run goes on', () => {
      const r = make();
      r.program('/usr/bin/prog');
      r.file('/etc/ld.so.conf.d/a.conf', '/opt/a\n');
      fs.chmodSync(r.host('/etc/ld.so.conf.d/a.conf'), 0o600);
      const res = compose(r, '/usr/bin/prog', [], asNobody);
      assert.equal(res.status, 0, res.stderr);
      assert.match(res.stderr, /warning: \/etc\/ld\.so\.conf\.d\/a\.conf: cannot read/);
      const r2 = make();
      r2.program('/usr/bin/prog');
      fs.chmodSync(r2.host('/etc'), 0o700);
      const res2 = compose(r2, '/usr/bin/prog', [], asNobody);
      assertCleanError(res2, 3, /\/etc\/ld\.so\.conf: permission denied/);
    });

    it('a tmp the user cannot write: clear error, nothing left', () => {
      const r = make();
      r.program('/usr/bin/prog');
      fs.chmodSync(r.host('/tmp'), 0o755);
      assertCleanError(compose(r, '/usr/bin/prog', [], asNobody), 3, /permission denied/);
      assert.deepEqual(r.tmpEntries(), []);
    });
  });

  describe('non-ELF targets', () => {
    it('a #! script takes its interpreter and the interpreter\'s libraries', () => {
      const r = make();
      r.program('/usr/bin/dash', ['libdash.so.1']).elf(`${LIBDIR}/libdash.so.1`, { soname: 'libdash.so.1' });
      r.file('/usr/local/bin/run.sh', '#!/usr/bin/dash -e\necho hi\n', 0o755);
      const res = compose(r, '/usr/local/bin/run.sh');
      assert.equal(res.status, 0, res.stderr);
      for (const m of ['usr/local/bin/run.sh', 'usr/bin/dash', 'lib/x86_64-linux-gnu/libdash.so.1', 'lib/x86_64-linux-gnu/libc.so.6', 'lib64/ld-linux-x86-64.so.2']) {
        assert.ok(res.members!.includes(m), `${m} missing from ${res.members}`);
      }
    });

    it('a #! script whose interpreter is missing: says so', () => {
      const r = make();
      r.file('/usr/local/bin/tool.py', '#!/usr/bin/python3\nprint(1)\n', 0o755);
      assertCleanError(compose(r, '/usr/local/bin/tool.py'), 3, /\/usr\/local\/bin\/tool\.py: its interpreter \/usr\/bin\/python3 does not exist/);
      r.file('/usr/local/bin/tool2', '#!/usr/bin/env python3\nprint(1)\n', 0o755).program('/usr/bin/env');
      assertCleanError(compose(r, '/usr/local/bin/tool2'), 3, /tool2: its interpreter "python3" \(run through env\) is not in the root filesystem's PATH/);
      assert.deepEqual(r.tmpEntries(), []);
    });

    it('empty files, text files, directories and device nodes: clear messages', () => {
      const r = make();
      r.file('/usr/bin/empty', '', 0o755).file('/usr/bin/text', 'hello\n', 0o755).dir('/usr/bin/adir').device('/usr/bin/null');
      assertCleanError(compose(r, '/usr/bin/empty'), 3, /\/usr\/bin\/empty: .*(empty|neither an ELF program nor a #! script)/);
      assertCleanError(compose(r, '/usr/bin/text'), 3, /\/usr\/bin\/text: is neither an ELF program nor a #! script/);
      assertCleanError(compose(r, '/usr/bin/adir'), 3, /\/usr\/bin\/adir: is a directory/);
      assertCleanError(compose(r, '/usr/bin/null'), 3, /\/usr\/bin\/null: is a special file/);
      assertCleanError(compose(r, '/usr/bin/missing'), 3, /\/usr\/bin\/missing: does not exist/);
    });
  });

  describe('names', () => {
    it('name bytes survive the engine\'s string form (surrogateescape) exactly', () => {
      const samples: Buffer[] = [Buffer.from('plain'), Buffer.from('café ünï'), Buffer.from([0x66, 0xff, 0xfe, 0x80]), Buffer.from([0xed, 0xa0, 0x80]),
        Buffer.from([0xc0, 0xaf]), Buffer.from([0xf4, 0x90, 0x80, 0x80]), Buffer.from('😀'), Buffer.from([0xe2, 0x82])];
      const rnd = pseudoRandom(4096, 99);
      for (let i = 0; i < 4096; i += 16) samples.push(rnd.subarray(i, i + 1 + (rnd[i] % 16)));
      for (const b of samples) {
        const s = decodeName(b);
        assert.ok(encodeName(s).equals(b), `${b.toString('hex')} does not round-trip`);
        if (isUtf8(b)) assert.equal(s, b.toString('utf8'));
      }
    });

    it('spaces, newlines, long components and long paths go in byte for byte (GNU tar round trip)', () => {
      const r = make();
      const long200 = 'c'.repeat(200);
      const deep = ['d'.repeat(100), 'e'.repeat(100), 'f'.repeat(100)].join('/');
      r.program('/opt/my app/bin/pro g\nx', ['lib sp ace.so.1', 'libl.so.1', 'liblong.so.1', 'liblink.so.1'],
        { runpath: `/opt/my app/lib:/opt/${long200}:/opt/${deep}` });
      r.elf('/opt/my app/lib/lib sp ace.so.1', { soname: 'lib sp ace.so.1' });
      r.elf(`/opt/${long200}/libl.so.1`, { soname: 'libl.so.1' });
      r.elf(`/opt/${deep}/liblong.so.1`, { soname: 'liblong.so.1' });
      // A symlink whose text is longer than 100 bytes (pax linkpath).
      r.elf(`/opt/${long200}/real-liblink.so.1`);
      r.link(`${LIBDIR}/liblink.so.1`, `../../opt/${long200}/real-liblink.so.1`);
      const res = compose(r, '/opt/my app/bin/pro g\nx', ['-c', 'names']);
      assert.equal(res.status, 0, res.stderr);
      const { members } = gnuTarRoundTrip(res.file, r.root);
      const names = memberNames(members);
      for (const m of ['opt/my app/bin/pro g\nx', 'opt/my app/lib/lib sp ace.so.1', `opt/${long200}/libl.so.1`, `opt/${deep}/liblong.so.1`,
        'lib/x86_64-linux-gnu/liblink.so.1', `opt/${long200}/real-liblink.so.1`]) {
        assert.ok(names.includes(m), `${JSON.stringify(m)} missing`);
      }
    });

    it('names that are not UTF-8 go in byte for byte', () => {
      const r = make();
      const raw = (s: string) => Buffer.from(s, 'latin1');
      // A NEEDED name with invalid UTF-8, and a symlink whose text is invalid UTF-8.
      // ...and one in a directory name long enough to need a pax header.
      const longDir = raw(`/opt/${'x'.repeat(200)}\xff`);
      r.program('/usr/bin/prog', [raw('libn\xff\xfe.so.1'), 'libsym.so.1', 'libq.so.1'], { runpath: longDir });
      r.elf(Buffer.concat([longDir, raw('/libq.so.1')]), { soname: 'libq.so.1' });
      r.elf(raw(`${LIBDIR}/libn\xff\xfe.so.1`), { soname: raw('libn\xff\xfe.so.1') });
      r.elf(raw(`${LIBDIR}/lib\xe9t\xe9.so.1`), { soname: 'libsym.so.1' });
      r.link(`${LIBDIR}/libsym.so.1`, raw('lib\xe9t\xe9.so.1'));
      const res = compose(r, '/usr/bin/prog');
      assert.equal(res.status, 0, res.stderr);
      const { members } = gnuTarRoundTrip(res.file, r.root);
      const names = members.map((m) => m.name.toString('latin1'));
      for (const m of ['lib/x86_64-linux-gnu/libn\xff\xfe.so.1', 'lib/x86_64-linux-gnu/lib\xe9t\xe9.so.1', 'lib/x86_64-linux-gnu/libsym.so.1',
        `opt/${'x'.repeat(200)}\xff/libq.so.1`]) {
        assert.ok(names.includes(m), `${JSON.stringify(m)} missing from ${JSON.stringify(names)}`);
      }
      const link = members.find((m) => m.name.toString('latin1') === 'lib/x86_64-linux-gnu/libsym.so.1')!;
      assert.equal(link.linkname.toString('latin1'), 'lib\xe9t\xe9.so.1');
    });
  });

  describe('files that move or misbehave', () => {
    it('a sparse library is archived whole and reads back the same', function () {
      const r = make();
      r.program('/usr/bin/prog', ['libsparse.so.1']).elf(`${LIBDIR}/libsparse.so.1`, { soname: 'libsparse.so.1' });
      const p = r.host(`${LIBDIR}/libsparse.so.1`);
      const fd = fs.openSync(p, 'r+');
      fs.ftruncateSync(fd, 64 << 20);
      fs.writeSync(fd, Buffer.from('tail'), 0, 4, (64 << 20) - 4);
      fs.closeSync(fd);
      if (fs.statSync(p).blocks * 512 > 1 << 20) this.skip(); // this filesystem does not keep holes
      const res = compose(r);
      assert.equal(res.status, 0, res.stderr);
      gnuTarRoundTrip(res.file, r.root);
    });

    it('hard links inside the set stay hard links', () => {
      const r = make();
      r.program('/usr/bin/prog', ['libh1.so.1', 'libh2.so.1']).elf(`${LIBDIR}/libh1.so.1`, { body: 4096 });
      fs.linkSync(r.host(`${LIBDIR}/libh1.so.1`), r.host(`${LIBDIR}/libh2.so.1`));
      const res = compose(r);
      assert.equal(res.status, 0, res.stderr);
      const { members } = gnuTarRoundTrip(res.file, r.root);
      const h = members.filter((m) => m.name.toString().includes('libh'));
      assert.deepEqual(h.map((m) => m.type).sort(), ['file', 'hardlink']);
    });

    const plan = (r: HostileRoot) => buildPlan({ root: r.root, exes: ['/usr/bin/prog'], autodeps: 'none' });

    it('a file that grows or shrinks after planning: an error, nothing written', async () => {
      for (const change of ['grow', 'shrink'] as const) {
        const r = make();
        r.program('/usr/bin/prog', ['libm.so.1']).elf(`${LIBDIR}/libm.so.1`, { body: 10_000 });
        const p = await plan(r);
        if (change === 'grow') fs.appendFileSync(r.host(`${LIBDIR}/libm.so.1`), 'more');
        else fs.truncateSync(r.host(`${LIBDIR}/libm.so.1`), 5000);
        await assert.rejects(writeArchive(p, { name: 'prog' }), (e: unknown) => e instanceof ComposeError && /libm\.so\.1: changed size after planning/.test((e as Error).message));
        assert.deepEqual(r.tmpEntries(), []);
      }
    });

    it('a file that grows or shrinks while it is being archived: an error, nothing written', async () => {
      for (const change of ['grow', 'shrink'] as const) {
        const r = make();
        r.program('/usr/bin/prog', ['libbig.so.1']).elf(`${LIBDIR}/libbig.so.1`, { body: 5 << 20 });
        const lib = r.host(`${LIBDIR}/libbig.so.1`);
        const p = await plan(r);
        let changed = false;
        const onProgress = (pr: { detail?: string }) => {
          if (changed || pr.detail !== `${LIBDIR}/libbig.so.1`) return;
          changed = true;
          if (change === 'grow') fs.appendFileSync(lib, Buffer.alloc(4096, 1));
          else fs.truncateSync(lib, 2 << 20);
        };
        await assert.rejects(writeArchive(p, { name: 'prog', onProgress }),
          (e: unknown) => e instanceof ComposeError && /libbig\.so\.1: (shrank|grew|changed size) while being archived/.test((e as Error).message));
        assert.ok(changed);
        assert.deepEqual(r.tmpEntries(), []);
      }
    });
  });

  describe('interrupted and failing writes', () => {
    /** A root whose program needs a large incompressible library, so writing takes a while. */
    const bigRoot = (mb: number) => {
      const r = make();
      r.program('/usr/bin/prog', ['libbig.so.1']).elf(`${LIBDIR}/libbig.so.1`, { soname: 'libbig.so.1' });
      fs.appendFileSync(r.host(`${LIBDIR}/libbig.so.1`), pseudoRandom(mb << 20, 12345));
      return r;
    };
    const partials = (r: HostileRoot) => r.tmpEntries().filter((e) => e.endsWith('.partial'));

    it('ENOSPC: clear error, partial file removed, exit 3', function () {
      const r = bigRoot(4);
      const m = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=1m,mode=1777', 'tmpfs', r.host('/tmp')], { encoding: 'utf8' });
      if (m.status !== 0) this.skip(); // no mount privilege here
      try {
        assertCleanError(compose(r), 3, /no space left on device/);
        assert.deepEqual(r.tmpEntries(), []);
      } finally {
        execFileSync('umount', [r.host('/tmp')]);
      }
    });

    for (const sig of ['SIGINT', 'SIGTERM'] as const) {
      it(`${sig} while writing leaves neither a partial nor a final archive`, async () => {
        const r = bigRoot(96);
        const { child, done } = startCli(['-r', r.root, '-x', '/usr/bin/prog', '--gzip-level', '9']);
        await waitFor(() => partials(r).length > 0, 60_000, 'the partial archive');
        child.kill(sig);
        const res = await done;
        assert.equal(res.status, 130, res.stderr);
        assert.match(res.stderr, /cancelled/);
        assert.deepEqual(r.tmpEntries(), []);
      });
    }

    it('kill -9 while writing keeps the earlier archive intact; the next run removes the stale partial', async () => {
      const r = bigRoot(96);
      const first = runCli(['-r', r.root, '-x', '/usr/bin/prog', '--gzip-level', '1']);
      assert.equal(first.status, 0, first.stderr);
      const before = sha(r.archive('prog'));
      const { child, done } = startCli(['-r', r.root, '-x', '/usr/bin/prog', '--force', '--gzip-level', '9']);
      await waitFor(() => partials(r).length > 0, 60_000, 'the partial archive');
      child.kill('SIGKILL');
      await done;
      assert.equal(sha(r.archive('prog')), before, 'the earlier archive changed');
      assert.equal(partials(r).length, 1);
      const again = runCli(['-r', r.root, '-x', '/usr/bin/prog', '--force', '--gzip-level', '1']);
      assert.equal(again.status, 0, again.stderr);
      assert.deepEqual(r.tmpEntries(), ['prog.tar.gz']);
      checkArchive(r.archive('prog'));
    });

    it('two concurrent runs writing the same name: one wins, the other reports it, the archive is whole', async () => {
      const r = bigRoot(24);
      const a = startCli(['-r', r.root, '-x', '/usr/bin/prog']);
      const b = startCli(['-r', r.root, '-x', '/usr/bin/prog']);
      const results = await Promise.all([a.done, b.done]);
      const codes = results.map((x) => x.status).sort();
      assert.deepEqual(codes, [0, 3], results.map((x) => x.stderr).join('\n'));
      const loser = results.find((x) => x.status === 3)!;
      assertCleanError(loser, 3, /prog\.tar\.gz: already exists/);
      assert.deepEqual(r.tmpEntries(), ['prog.tar.gz']);
      gnuTarRoundTrip(r.archive('prog'), r.root);
      // With --force both succeed, one after the other; the result is still one whole archive.
      const c = startCli(['-r', r.root, '-x', '/usr/bin/prog', '--force']);
      const d = startCli(['-r', r.root, '-x', '/usr/bin/prog', '--force']);
      const forced = await Promise.all([c.done, d.done]);
      assert.deepEqual(forced.map((x) => x.status), [0, 0], forced.map((x) => x.stderr).join('\n'));
      assert.deepEqual(r.tmpEntries(), ['prog.tar.gz']);
      gnuTarRoundTrip(r.archive('prog'), r.root);
    });
  });
});
