// The default autodeps level on real input: programs composed from the debootstrap rootfs
// with no --autodeps flag and the default profile must not only start but do real work in
// a busybox+glibc target (fonts, gconv, a standard library, helpers, the CA bundle), and
// the archive must stay well below the `free` level's.
import * as assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { chrootRun, makeTarget, sourceRootfs } from '../helpers/fixtures';
import { chrootRunAsync } from '../helpers/chrootAsync';
import { runCli } from '../helpers/cli';

type Level = 'none' | 'default' | 'free';
type Program = 'ffmpeg' | 'python3' | 'git' | 'curl' | 'sox' | 'perl' | 'tput';

/**
 * Measurements behind the size check, on the cached bookworm fixture, which has Recommends
 * installed as apt does by default (archive MiB, gzip level 6, 2026-12-03):
 *
 *   program   none    default   free    free/default   (default-none)/(free-none)
 *   ffmpeg    100.7   108.8     265.3   2.438          0.05
 *   python3     4.2    12.8      25.9   2.028          0.40
 *   git         3.0    24.6      65.5   2.660          0.35
 *   curl        8.0     8.8      17.8   2.019          0.08
 *
 * python3 and curl pass by little: python3's default is its interpreter and standard
 * library, curl's is mostly its ELF closure (8.0 MiB). Whatever the default level adds to
 * them has to earn its place.
 */
const MiB = 1024 * 1024;

describe('end to end: the default autodeps level makes real programs work in busybox+glibc targets', function () {
  this.timeout(30 * 60_000);
  let src: string;
  const written = new Set<string>();
  const sizes = new Map<Program, Partial<Record<Level, number>>>();

  before(function () {
    src = sourceRootfs();
  });
  after(function () {
    for (const a of written) fs.rmSync(a, { force: true });
    const cell = (v: number | undefined) => (v === undefined ? '-' : (v / MiB).toFixed(1)).padStart(9);
    const rows = [...sizes].map(([p, s]) => `    ${p.padEnd(9)}${cell(s.none)}${cell(s.default)}${cell(s.free)}`);
    if (rows.length) console.log(`    archive MiB   none  default     free\n${rows.join('\n')}`);
  });

  /** Composes `exe` at `level` (no --autodeps flag for the default) and returns the archive's host path. */
  function compose(program: Program, level: Level): string {
    const name = `cc-fix-t5-${process.pid}-${program}${level === 'default' ? '' : `-${level}`}`;
    const archive = path.join(src, 'tmp', `${name}.tar.gz`);
    written.add(archive);
    const r = runCli(['-x', `/usr/bin/${program}`, '-r', src, '-c', name, '--force', ...(level === 'default' ? [] : ['--autodeps', level])]);
    assert.equal(r.status, 0, `composing ${program} at ${level}: ${r.stderr}`);
    assert.match(r.stderr + r.stdout, /wrote .*\.tar\.gz \(/);
    const s = sizes.get(program) ?? {};
    s[level] = fs.statSync(archive).size;
    sizes.set(program, s);
    return archive;
  }

  /** A fresh target with the archive unpacked at / by GNU tar; the caller removes it. */
  function unpacked(archive: string, layout: 'flat' | 'merged'): string {
    const target = makeTarget(layout);
    const r = spawnSync('tar', ['-xzf', archive, '-C', target], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    return target;
  }

  function removeTarget(target: string): void {
    fs.rmSync(fs.realpathSync(target), { recursive: true, force: true });
  }

  function sizeCheck(program: Exclude<Program, 'sox' | 'perl' | 'tput'>): void {
    if (sizes.get(program)?.default === undefined) compose(program, 'default');
    compose(program, 'none');
    compose(program, 'free');
    const { none, default: def, free } = sizes.get(program)! as Record<Level, number>;
    const show = `${program}: none ${(none / MiB).toFixed(1)} MiB, default ${(def / MiB).toFixed(1)} MiB, free ${(free / MiB).toFixed(1)} MiB (free/default ${(free / def).toFixed(2)})`;
    assert.ok(none < def, `the default level added nothing: ${show}`);
    assert.ok(2 * def <= free, `default is not 2x smaller than free: ${show}`);
  }

  describe('ffmpeg (merged target)', function () {
    let archive: string;
    let target: string;
    before(function () {
      archive = compose('ffmpeg', 'default');
      target = unpacked(archive, 'merged');
    });
    after(() => target && removeTarget(target));

    it('renders text with drawtext, finding a font through fontconfig', () => {
      const png = chrootRun(target, '/usr/bin/ffmpeg -hide_banner -loglevel error -f lavfi -i color=c=black:s=160x120:d=1 -vf drawtext=text=Hello:fontcolor=white -frames:v 1 -y /tmp/out.png');
      assert.equal(png.status, 0, png.stderr);
      assert.ok(fs.statSync(path.join(target, 'tmp', 'out.png')).size > 100);
      // The same frame as raw grey bytes: white text on black means some pixels are lit.
      const raw = chrootRun(target, '/usr/bin/ffmpeg -hide_banner -loglevel error -f lavfi -i color=c=black:s=160x120:d=1 -vf drawtext=text=Hello:fontcolor=white -frames:v 1 -f rawvideo -pix_fmt gray -y /tmp/out.gray');
      assert.equal(raw.status, 0, raw.stderr);
      const pixels = fs.readFileSync(path.join(target, 'tmp', 'out.gray'));
      assert.equal(pixels.length, 160 * 120);
      assert.ok(pixels.filter((v) => v > 128).length > 20, 'no text was drawn');
    });

    it('reads a CP1252 subtitle with -sub_charenc (gconv)', () => {
      const srt = Buffer.concat([Buffer.from('1\r\n00:00:00,000 --> 00:00:01,000\r\nCaf'), Buffer.from([0xe9]), Buffer.from(' cr'), Buffer.from([0xe8]), Buffer.from('me\r\n\r\n')]);
      fs.writeFileSync(path.join(target, 'tmp', 'in.srt'), srt);
      const r = chrootRun(target, '/usr/bin/ffmpeg -hide_banner -loglevel error -sub_charenc CP1252 -i /tmp/in.srt -y /tmp/out.ass');
      assert.equal(r.status, 0, r.stderr);
      const ass = fs.readFileSync(path.join(target, 'tmp', 'out.ass'), 'utf8');
      assert.ok(ass.includes('Café crème'), ass);
      assert.ok(!ass.includes('\ufffd'), ass);
    });

    it('size: default against free', () => sizeCheck('ffmpeg'));

    it('leaves out GPU drivers and the speech model a library merely recommends, and says so', () => {
      // The fixture has them (Recommends installed), so this can fail.
      for (const dir of ['usr/lib/x86_64-linux-gnu/vdpau', 'usr/lib/x86_64-linux-gnu/dri', 'usr/share/pocketsphinx']) assert.ok(fs.existsSync(path.join(src, dir)), `${dir} is not in the fixture`);
      const r = runCli(['-x', '/usr/bin/ffmpeg', '-r', src, '-t', '--json']);
      assert.equal(r.status, 0, r.stderr);
      const plan = JSON.parse(r.stdout) as { entries: { path: string }[]; warnings: string[] };
      const hardware = plan.entries.filter((e) => /^\/usr\/lib\/x86_64-linux-gnu\/(dri|vdpau|mfx|gbm)\//.test(e.path) || /libLLVM/.test(e.path));
      assert.deepEqual(hardware.map((e) => e.path), []);
      assert.ok(!plan.entries.some((e) => e.path.startsWith('/usr/share/pocketsphinx/')));
      assert.ok(plan.warnings.some((w) => /^left out pocketsphinx-en-us \(.* MiB .*Recommends of libpocketsphinx3.*packages: \[\+pocketsphinx-en-us\]/.test(w)), plan.warnings.join('\n'));
      // A module that could never load (libcaca's OpenGL plugin wants libGLU) is left out too.
      assert.ok(!plan.entries.some((e) => e.path.includes('/caca/libgl_plugin')));
      assert.ok(plan.warnings.some((w) => /left out .*libgl_plugin.*libGLU\.so\.1/.test(w)), plan.warnings.join('\n'));
    });
  });

  describe('python3 (merged target)', function () {
    it('imports json, ssl and sqlite3', () => {
      const target = unpacked(compose('python3', 'default'), 'merged');
      try {
        const r = chrootRun(target, `/usr/bin/python3 -c 'import json, ssl, sqlite3; print("ok")'`);
        assert.equal(r.status, 0, r.stderr);
        assert.equal(r.stdout.trim(), 'ok');
      } finally {
        removeTarget(target);
      }
    });

    it('finds the CA certificates through OpenSSL\'s default paths, and holds no other command, admin file or dangling link', () => {
      const archive = compose('python3', 'default');
      const target = makeTarget('merged');
      try {
        const before = danglingLinks(target);
        const r = spawnSync('tar', ['-xzf', archive, '-C', target], { encoding: 'utf8' });
        assert.equal(r.status, 0, r.stderr);
        assert.deepEqual(danglingLinks(target).filter((l) => !before.includes(l)), []);
        // /usr/lib/ssl/certs and cert.pem are the openssl package's links to the CA bundle.
        const ca = chrootRun(target, `/usr/bin/python3 -c 'import ssl; print(len(ssl.create_default_context().get_ca_certs()) > 50)'`);
        assert.equal(ca.status, 0, ca.stderr);
        assert.equal(ca.stdout.trim(), 'True');
        const members = listArchive(archive);
        for (const leak of ['etc/rmt', 'etc/alternatives/rmt', 'usr/sbin/rmt-tar', 'usr/lib/systemd/system/dpkg-db-backup.service',
          'usr/share/polkit-1/actions/org.dpkg.pkexec.update-alternatives.policy', 'etc/apt/sources.list', 'etc/dpkg/dpkg.cfg']) {
          assert.ok(!members.includes(leak), `${leak} is in the archive`);
        }
        const commands = members.filter((m) => /^(usr\/)?s?bin\/[^/]+$/.test(m));
        assert.deepEqual(commands, ['usr/bin/python3', 'usr/bin/python3.11'].filter((c) => commands.includes(c)));
      } finally {
        removeTarget(target);
      }
    });

    it('size: default against free', () => sizeCheck('python3'));

    it("sets the C.UTF-8 locale that LANG names (glibc's C.utf8, from libc-bin)", () => {
      const target = unpacked(compose('python3', 'default'), 'merged');
      try {
        const r = chrootRun(target, `LANG=C.UTF-8 /usr/bin/python3 -c 'import locale; print(locale.setlocale(locale.LC_ALL, ""))'`);
        assert.equal(r.status, 0, r.stderr);
        assert.match(r.stdout.trim(), /C\.UTF-8/);
      } finally {
        removeTarget(target);
      }
    });

    it("finds terminal descriptions for curses (ncurses-base is Essential: nothing depends on it)", () => {
      const target = unpacked(compose('python3', 'default'), 'merged');
      try {
        const r = chrootRun(target, `TERM=xterm-256color /usr/bin/python3 -c 'import curses; curses.setupterm(); print(curses.tigetnum("colors"))'`);
        assert.equal(r.status, 0, r.stderr);
        assert.equal(r.stdout.trim(), '256');
      } finally {
        removeTarget(target);
      }
    });
  });

  describe('git (flat target)', function () {
    it('commits in a new repository and clones it', () => {
      const target = unpacked(compose('git', 'default'), 'flat');
      try {
        const r = chrootRun(target, [
          'set -e',
          'mkdir /tmp/repo && cd /tmp/repo',
          'git init -q',
          'echo composed > hello.txt',
          'git add hello.txt',
          'git -c user.name=Tester -c user.email=tester@example.invalid commit -q -m first',
          'cd /tmp',
          'git clone -q /tmp/repo clone',
          'git -C clone log --format=%s',
        ].join('\n'));
        assert.equal(r.status, 0, r.stderr);
        assert.equal(r.stdout.trim(), 'first');
        assert.equal(fs.readFileSync(path.join(target, 'tmp', 'clone', 'hello.txt'), 'utf8'), 'composed\n');
      } finally {
        removeTarget(target);
      }
    });

    it('size: default against free', () => sizeCheck('git'));

    it("warns that git's perl helpers need perl, and not when perl is composed too", () => {
      const alone = runCli(['-x', '/usr/bin/git', '-r', src, '-t']);
      assert.equal(alone.status, 0, alone.stderr);
      assert.match(alone.stdout, /scripts in the archive need \/usr\/bin\/perl, which is not in it \(.*git-core.*-x \/usr\/bin\/perl/);
      const both = runCli(['-x', '/usr/bin/git', '-x', '/usr/bin/perl', '-r', src, '-t']);
      assert.equal(both.status, 0, both.stderr);
      assert.doesNotMatch(both.stdout, /need \/usr\/bin\/perl/);
    });
  });

  describe('curl (merged target)', function () {
    it('fetches from a local TLS server, trusting it through the system CA bundle', async () => {
      const target = unpacked(compose('curl', 'default'), 'merged');
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cc-t5-tls-'));
      let server: https.Server | undefined;
      try {
        // The composed bundle must be there: it is what curl reads by default.
        const bundle = path.join(target, 'etc', 'ssl', 'certs', 'ca-certificates.crt');
        assert.ok(fs.lstatSync(bundle).isFile(), `${bundle} is not a regular file`);
        assert.ok((fs.readFileSync(bundle, 'utf8').match(/BEGIN CERTIFICATE/g) ?? []).length > 50, 'the CA bundle holds almost no certificates');

        const { key, cert, ca } = throwawayCertificates(dir);
        server = https.createServer({ key, cert }, (_req, res) => res.end('hello over tls\n'));
        const s = server;
        await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
        // Stops by itself even if the test never gets to close it.
        setTimeout(() => {
          s.closeAllConnections();
          s.close();
        }, 5 * 60_000).unref();
        const url = `https://localhost:${(s.address() as AddressInfo).port}/`;

        // Verification is on: before the test CA is trusted, the server is refused.
        const refused = await chrootRunAsync(target, `curl -sS --max-time 30 ${url}`);
        assert.equal(refused.status, 60, `expected a certificate error (60), got ${refused.status}: ${refused.stderr}`);

        fs.appendFileSync(bundle, '\n' + ca);
        const r = await chrootRunAsync(target, `curl -sS --max-time 30 ${url}`);
        assert.equal(r.status, 0, r.stderr);
        assert.equal(r.stdout, 'hello over tls\n');
      } finally {
        if (server) {
          server.closeAllConnections();
          server.close();
        }
        fs.rmSync(dir, { recursive: true, force: true });
        removeTarget(target);
      }
    });

    it('size: default against free', () => sizeCheck('curl'));

    it("takes SASL's client mechanisms but not the server-side sasldb plugin and its Berkeley DB", () => {
      const r = runCli(['-x', '/usr/bin/curl', '-r', src, '-t', '--json']);
      assert.equal(r.status, 0, r.stderr);
      const paths = (JSON.parse(r.stdout) as { entries: { path: string }[] }).entries.map((e) => e.path);
      assert.ok(paths.some((p) => /\/sasl2\/libscram\.so/.test(p)), 'no SASL mechanism');
      assert.deepEqual(paths.filter((p) => /libsasldb|libdb-5/.test(p)), []);
    });

    it('keeps the generated CA hash links at the free level too', () => {
      const hashes = (level: Level) => listArchive(compose('curl', level)).filter((m) => /^etc\/ssl\/certs\/[0-9a-f]{8}\.[0-9]$/.test(m)).length;
      const def = hashes('default');
      assert.ok(def > 50, `only ${def} hash links at the default level`);
      assert.equal(hashes('free'), def);
    });
  });

  describe('perl (merged target)', function () {
    // Debian's perl-base owns /usr/bin/perl; Data::Dumper and List::Util are in
    // libperl5.36 and perl-modules-5.36, which perl-base does not depend on.
    it('loads core modules that live in packages the interpreter does not depend on', () => {
      const target = unpacked(compose('perl', 'default'), 'merged');
      try {
        const r = chrootRun(target, "perl -MData::Dumper -MList::Util=sum -MPOSIX -e 'print sum(1, 2), qq{\\n}'");
        assert.equal(r.status, 0, r.stderr);
        assert.equal(r.stdout.trim(), '3');
        // LANG=C.UTF-8, as container images set it, needs glibc's C.utf8 locale from libc-bin.
        const utf8 = chrootRun(target, "LANG=C.UTF-8 perl -MPOSIX=setlocale,LC_ALL -e 'print defined(setlocale(LC_ALL, q{})) ? qq{set\\n} : qq{unset\\n}'");
        assert.equal(utf8.status, 0, utf8.stderr);
        assert.equal(utf8.stderr, '', 'perl warned about the locale');
        assert.equal(utf8.stdout.trim(), 'set');
      } finally {
        removeTarget(target);
      }
    });
  });

  describe('bash given as /bin/bash (flat target)', function () {
    it('is at /bin/bash, where bash lists it and #!/bin/bash scripts look', () => {
      const name = `cc-fix-t5-${process.pid}-binbash`;
      const archive = path.join(src, 'tmp', `${name}.tar.gz`);
      written.add(archive);
      const r = runCli(['-x', '/bin/bash', '-r', src, '-c', name, '--force']);
      assert.equal(r.status, 0, r.stderr);
      const target = unpacked(archive, 'flat');
      try {
        fs.writeFileSync(path.join(target, 'tmp', 's.sh'), '#!/bin/bash\necho "bash ${BASH_VERSINFO[0]}"\n', { mode: 0o755 });
        const run = chrootRun(target, '/tmp/s.sh');
        assert.equal(run.status, 0, run.stderr);
        assert.match(run.stdout, /^bash 5/);
        // The flat target's own busybox sh is untouched: bash's package lists no /bin/sh.
        assert.match(fs.readlinkSync(path.join(target, 'bin', 'sh')), /(^|\/)busybox$/);
      } finally {
        removeTarget(target);
      }
    });
  });

  describe('tput (flat and merged targets)', function () {
    // libtinfo6 reads /lib/terminfo, where ncurses-base lists the files; under merged /usr
    // they are in /usr/lib/terminfo, which a flat target's readers never look at.
    for (const layout of ['flat', 'merged'] as const) {
      it(`knows xterm from the terminfo of the Essential ncurses-base, in a ${layout} target`, () => {
        const target = unpacked(compose('tput', 'default'), layout);
        try {
          const r = chrootRun(target, 'TERM=xterm tput cols && TERM=xterm-256color tput colors && TERM=xterm tput setaf 1 | od -An -c');
          assert.equal(r.status, 0, r.stderr);
          assert.deepEqual(r.stdout.trim().split('\n').map((l) => l.trim().replace(/\s+/g, ' ')), ['80', '256', '033 [ 3 1 m']);
        } finally {
          removeTarget(target);
        }
      });
    }

    it('puts the terminfo in through /lib, never making lib a member', () => {
      const members = listArchive(compose('tput', 'default'));
      assert.ok(members.includes('lib/terminfo/x/xterm'), members.filter((m) => m.includes('terminfo')).slice(0, 5).join(' '));
      assert.ok(!members.some((m) => m.startsWith('usr/lib/terminfo')));
      assert.ok(!members.includes('lib'));
    });
  });

  describe('paths through layout aliases', function () {
    type JsonPlan = { entries: { path: string; type: string; member?: string; linkTarget?: string }[] };
    const plan = (args: string[]) => {
      const r = runCli(['-r', src, '-t', '--json', ...args]);
      assert.equal(r.status, 0, r.stderr);
      return JSON.parse(r.stdout) as JsonPlan;
    };

    it('retargets a link whose destination goes in through an alias (pidof -> killall5), so it resolves in a flat target', () => {
      const p = plan(['-x', '/bin/pidof']);
      const link = p.entries.find((e) => e.path === '/usr/bin/pidof')!;
      assert.equal(link.member, '/bin/pidof');
      assert.equal(link.linkTarget, '/sbin/killall5');
      assert.equal(p.entries.find((e) => e.path === '/usr/sbin/killall5')?.member, '/sbin/killall5');
      const name = `cc-fix-t5-${process.pid}-pidof`;
      const archive = path.join(src, 'tmp', `${name}.tar.gz`);
      written.add(archive);
      assert.equal(runCli(['-x', '/bin/pidof', '-r', src, '-c', name, '--force']).status, 0);
      const target = unpacked(archive, 'flat');
      try {
        // No /proc in the chroot: pidof finds nothing (1), but it runs (not 127).
        assert.equal(chrootRun(target, '/bin/pidof nothing-runs').status, 1);
      } finally {
        removeTarget(target);
      }
    });

    it('never moves a shared object or its links, at any level', () => {
      for (const level of ['default', 'free']) {
        const moved = plan(['-x', '/usr/bin/python3', '--autodeps', level]).entries.filter((e) => e.member && /\.so(\.[0-9.]+)?$/.test(e.path));
        assert.deepEqual(moved.map((e) => `${e.path} -> ${e.member}`), [], level);
      }
    });

    it('gives free what default takes from Essential siblings (terminfo), and lets prune name the archive path', () => {
      const free = plan(['-x', '/usr/bin/tput', '--autodeps', 'free']);
      assert.ok(free.entries.some((e) => e.member === '/lib/terminfo/x/xterm'));
      // Only what default would take from them: libc-bin's locale, not its programs.
      assert.ok(free.entries.some((e) => e.path.startsWith('/usr/lib/locale/C.utf8/')));
      assert.deepEqual(free.entries.filter((e) => /^\/usr\/s?bin\/(ldconfig|getconf|locale|iconv)$/.test(e.path)).map((e) => e.path), []);
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cc-fix-prune-'));
      try {
        fs.writeFileSync(path.join(dir, 'p.yaml'), 'config:\n  prune:\n    - /lib/terminfo/x/**\n');
        const pruned = plan(['-x', '/usr/bin/tput', '-p', path.join(dir, 'p.yaml')]);
        assert.ok(!pruned.entries.some((e) => (e.member ?? e.path).startsWith('/lib/terminfo/x/')));
        assert.ok(pruned.entries.some((e) => e.member === '/lib/terminfo/v/vt100'));
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });
  });

  describe('sox (flat target)', function () {
    it('converts a .wav to .flac with its format plugins (libsox-fmt-base owns no library sox loads)', () => {
      const target = unpacked(compose('sox', 'default'), 'flat');
      try {
        fs.writeFileSync(path.join(target, 'tmp', 'in.wav'), sineWav(8000, 0.5));
        const r = chrootRun(target, 'sox /tmp/in.wav /tmp/out.flac && sox --i -t /tmp/out.flac && sox --i -s /tmp/out.flac');
        assert.equal(r.status, 0, r.stderr);
        assert.deepEqual(r.stdout.trim().split('\n'), ['flac', '4000']);
        assert.equal(fs.readFileSync(path.join(target, 'tmp', 'out.flac')).subarray(0, 4).toString('latin1'), 'fLaC');
      } finally {
        removeTarget(target);
      }
    });

    it('reports a NEEDED library removed by a profile prune as unresolved', () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cc-fix-prune-'));
      try {
        const profile = path.join(dir, 'prune.yaml');
        fs.writeFileSync(profile, 'config:\n  prune:\n    - /usr/lib/x86_64-linux-gnu/libsox.so.3*\n');
        const refused = runCli(['-x', '/usr/bin/sox', '-r', src, '-p', profile, '-t']);
        assert.equal(refused.status, 1, refused.stdout + refused.stderr);
        assert.match(refused.stdout + refused.stderr, /libsox\.so\.3/);
        const r = runCli(['-x', '/usr/bin/sox', '-r', src, '-p', profile, '-t', '--json', '--allow-missing']);
        assert.equal(r.status, 0, r.stderr);
        const plan = JSON.parse(r.stdout) as { unresolved: { soname: string; searched: string[] }[]; entries: { path: string }[] };
        assert.deepEqual(plan.unresolved.map((u) => [u.soname, u.searched]), [['libsox.so.3', ['removed by profile prune']]]);
        assert.ok(!plan.entries.some((e) => e.path.includes('libsox.so.3')));
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });
  });
});

/** A CA and a server certificate for localhost and 127.0.0.1 signed by it, made with the host's openssl. */
function throwawayCertificates(dir: string): { key: string; cert: string; ca: string } {
  const f = (n: string) => path.join(dir, n);
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl('req', '-x509', ...ec, '-keyout', f('ca.key'), '-out', f('ca.crt'), '-days', '2', '-subj', '/CN=container-compositor test CA',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign');
  openssl('req', ...ec, '-keyout', f('server.key'), '-out', f('server.csr'), '-subj', '/CN=localhost');
  fs.writeFileSync(f('server.ext'), [
    'subjectAltName=DNS:localhost,IP:127.0.0.1',
    'basicConstraints=CA:FALSE',
    'keyUsage=critical,digitalSignature',
    'extendedKeyUsage=serverAuth',
  ].join('\n') + '\n');
  openssl('x509', '-req', '-in', f('server.csr'), '-CA', f('ca.crt'), '-CAkey', f('ca.key'), '-set_serial', '1', '-days', '2',
    '-extfile', f('server.ext'), '-out', f('server.crt'));
  return { key: fs.readFileSync(f('server.key'), 'utf8'), cert: fs.readFileSync(f('server.crt'), 'utf8'), ca: fs.readFileSync(f('ca.crt'), 'utf8') };
}

/** Member names of an archive, without "./" and trailing slashes. */
function listArchive(archive: string): string[] {
  return execFileSync('tar', ['-tzf', archive], { encoding: 'utf8', maxBuffer: 1 << 28 }).split('\n').filter(Boolean).map((m) => m.replace(/^\.\//, '').replace(/\/$/, ''));
}

/** Symlinks in a target whose destination does not exist, seen from inside it. */
function danglingLinks(target: string): string[] {
  const r = chrootRun(target, 'find / -xdev -type l | while read -r l; do [ -e "$l" ] || echo "$l"; done');
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.split('\n').filter(Boolean).sort();
}

/** A mono 16-bit PCM .wav holding a 440 Hz sine. */
function sineWav(rate: number, seconds: number): Buffer {
  const n = Math.round(rate * seconds);
  const b = Buffer.alloc(44 + 2 * n);
  b.write('RIFF', 0, 'latin1');
  b.writeUInt32LE(36 + 2 * n, 4);
  b.write('WAVEfmt ', 8, 'latin1');
  b.writeUInt32LE(16, 16);
  b.writeUInt16LE(1, 20); // PCM
  b.writeUInt16LE(1, 22); // mono
  b.writeUInt32LE(rate, 24);
  b.writeUInt32LE(rate * 2, 28);
  b.writeUInt16LE(2, 32);
  b.writeUInt16LE(16, 34);
  b.write('data', 36, 'latin1');
  b.writeUInt32LE(2 * n, 40);
  for (let i = 0; i < n; i++) b.writeInt16LE(Math.round(12000 * Math.sin((2 * Math.PI * 440 * i) / rate)), 44 + 2 * i);
  return b;
}
