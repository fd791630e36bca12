// The default level's per-file choices, and the .dynsym reader its gconv rule relies on,
// checked against readelf on the host's own objects.
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { libraryStems, moduleRoot, opensModulesBy, scriptInterpreter, selectDefault, type PackageRole } from '../../src/engine/defaultRules';
import { dependencyClosure, recommendedOnly } from '../../src/engine/packageClosure';
import { undefinedSymbols } from '../../src/engine/elfSymbols';
import { addGeneratedFiles } from '../../src/engine/generatedFiles';
import type { PackageDatabase } from '../../src/engine/packages/database';
import { PlanBuilder } from '../../src/engine/planBuilder';
import { Rootfs } from '../../src/engine/rootfs';

/** Imported (UND) dynamic symbols of a host file, according to readelf. */
function readelfImports(file: string): Set<string> {
  const out = execFileSync('readelf', ['--dyn-syms', '-W', file], { encoding: 'utf8', maxBuffer: 1 << 28 });
  const names = new Set<string>();
  for (const line of out.split('\n')) {
    const m = /^\s*\d+:\s+[0-9a-f]+\s+\d+\s+\S+\s+\S+\s+\S+\s+UND\s+(\S+)/.exec(line);
    if (m) names.add(m[1].replace(/@.*$/, ''));
  }
  return names;
}

/** A package's role as the old tests put it: owns the target, owns a library of the ELF closure. */
function role(own: boolean, ownsLibrary: boolean, stems: string[] = [], moduleDirs: string[] = []): PackageRole {
  return { own, ownsLibrary, stems: new Set(stems), moduleDirs: new Set(moduleDirs) };
}

describe('autodeps default level', () => {
  describe('selectDefault', () => {
    const interp = (name: string) => ({ needs: { kind: 'interpreter', name } });
    it('defers interpreter trees to the interpreter, whatever the package', () => {
      assert.deepEqual(selectDefault('/usr/share/perl/5.36.0/strict.pm', false, role(false, false)), interp('perl'));
      assert.deepEqual(selectDefault('/usr/share/perl5/Git.pm', false, role(true, true)), interp('perl'));
      assert.deepEqual(selectDefault('/usr/lib/x86_64-linux-gnu/perl/5.36.0/auto/POSIX/POSIX.so', true, role(false, false)), interp('perl'));
      assert.deepEqual(selectDefault('/usr/lib/x86_64-linux-gnu/perl-base/strict.pm', false, role(false, true)), interp('perl'));
      assert.deepEqual(selectDefault('/etc/perl/Net/libnet.cfg', false, role(false, false)), interp('perl'));
      assert.deepEqual(selectDefault('/usr/lib/python3.11/json/__init__.py', false, role(false, false)), interp('python'));
      assert.deepEqual(selectDefault('/usr/lib/python3.11/lib-dynload/_ssl.cpython-311-x86_64-linux-gnu.so', true, role(false, false)), interp('python'));
      assert.deepEqual(selectDefault('/usr/lib/python3/dist-packages/foo/__init__.py', false, role(false, false)), interp('python'));
      assert.deepEqual(selectDefault('/usr/lib/ruby/3.1.0/set.rb', false, role(false, false)), interp('ruby'));
    });

    it('defers gconv modules to an importer of iconv_open, only from packages that matter', () => {
      const iconv = { needs: { kind: 'symbol', name: 'iconv_open' } };
      assert.deepEqual(selectDefault('/usr/lib/x86_64-linux-gnu/gconv/CP1252.so', true, role(false, true)), iconv);
      assert.deepEqual(selectDefault('/usr/lib/x86_64-linux-gnu/gconv/gconv-modules', false, role(false, true)), iconv);
      assert.deepEqual(selectDefault('/usr/lib/x86_64-linux-gnu/gconv/gconv-modules.d/gconv-modules-extra.conf', false, role(true, false)), iconv);
      assert.equal(selectDefault('/usr/lib/x86_64-linux-gnu/gconv/CP1252.so', true, role(false, false)), false);
    });

    it('keeps the other choices', () => {
      assert.equal(selectDefault('/usr/bin/perl', true, role(false, true)), false); // another command
      assert.equal(selectDefault('/usr/include/stdio.h', false, role(true, true)), false);
      assert.equal(selectDefault('/usr/share/applications/git-gui.desktop', false, role(true, true)), false);
      assert.equal(selectDefault('/usr/lib/git-core/git-remote-http', true, role(true, true)), true); // own helper
      // Non-ELF data: decided later, by whether its package is of use (see dataUseful).
      assert.equal(selectDefault('/etc/fonts/fonts.conf', false, role(false, false)), 'data');
      assert.equal(selectDefault('/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf', false, role(false, false)), 'data');
      assert.equal(selectDefault('/usr/lib/x86_64-linux-gnu/caca/libgl_plugin.so.0', true, role(false, true)), true); // module dir
      assert.equal(selectDefault('/usr/lib/x86_64-linux-gnu/dri/radeonsi_dri.so', true, role(false, false)), false); // not loaded by us
      assert.equal(selectDefault('/usr/lib/x86_64-linux-gnu/libLLVM-15.so.1', true, role(false, true)), false); // nobody NEEDs it
    });
    it('takes a module directory named after a library of the ELF closure, from any package', () => {
      // libsox-fmt-base owns no library of sox's closure; its plugins are opened by libsox.so.3.
      const flac = '/usr/lib/x86_64-linux-gnu/sox/libsox_fmt_flac.so';
      assert.equal(selectDefault(flac, true, role(false, false)), false);
      assert.equal(selectDefault(flac, true, role(false, false, libraryStems('libsox.so.3'))), true);
      assert.equal(selectDefault(flac, true, role(false, false, [], ['/usr/lib/x86_64-linux-gnu/sox'])), true);
      const loader = '/usr/lib/x86_64-linux-gnu/gdk-pixbuf-2.0/2.10.0/loaders/libpixbufloader-svg.so';
      assert.equal(selectDefault(loader, true, role(false, false, libraryStems('/usr/lib/x86_64-linux-gnu/libgdk_pixbuf-2.0.so.0'))), true);
      assert.equal(selectDefault('/usr/lib/x86_64-linux-gnu/gio/modules/libdconfsettings.so', true, role(false, false, libraryStems('libgio-2.0.so.0'))), true);
      // A stem names a directory, not a prefix of one.
      assert.equal(selectDefault(flac, true, role(false, false, libraryStems('libso.so.1'))), false);
      assert.equal(moduleRoot(loader), '/usr/lib/x86_64-linux-gnu/gdk-pixbuf-2.0');
      assert.equal(moduleRoot('/usr/lib/x86_64-linux-gnu/libsox.so.3'), undefined);
      assert.deepEqual(libraryStems('libgdk_pixbuf-2.0.so.0'), ['gdk-pixbuf-2.0', 'gdk-pixbuf']);
      assert.deepEqual(libraryStems('libsox.so.3.0.0'), ['sox']);
      assert.deepEqual(libraryStems('sox'), []);
    });

    it('never takes hardware drivers, whoever owns them and whatever library names them', () => {
      const all = role(true, true, [...libraryStems('libvdpau.so.1'), 'dri', 'mfx'], ['/usr/lib/x86_64-linux-gnu/dri']);
      assert.equal(selectDefault('/usr/lib/x86_64-linux-gnu/vdpau/libvdpau_radeonsi.so.1.0.0', true, all), false);
      assert.equal(selectDefault('/usr/lib/x86_64-linux-gnu/dri/iHD_drv_video.so', true, all), false);
      assert.equal(selectDefault('/usr/lib/x86_64-linux-gnu/mfx/libmfx_h264la_hw64.so', true, all), false);
      assert.equal(selectDefault('/usr/lib/x86_64-linux-gnu/gbm/dri_gbm.so', true, all), false);
      // Other module directories of the same roles still come.
      assert.equal(selectDefault('/usr/lib/x86_64-linux-gnu/sox/libsox_fmt_flac.so', true, all), true);
    });

    it('leaves out what only the kernel, the init system or cron reads', () => {
      for (const f of ['/usr/lib/firmware/skl_hda_dsp_generic-tplg.bin', '/lib/firmware/x.bin', '/usr/lib/systemd/system/dbus.socket',
        '/usr/lib/systemd/user/pipewire.service', '/usr/lib/tmpfiles.d/dbus.conf', '/usr/lib/sysusers.d/x.conf', '/etc/init.d/dbus',
        '/etc/systemd/system/multi-user.target.wants/x.service', '/etc/cron.daily/dpkg', '/etc/logrotate.d/alternatives', '/usr/lib/modules/6.1.0/modules.dep']) {
        assert.equal(selectDefault(f, false, role(true, true)), false, f);
      }
      // Not a prefix match on the name.
      assert.equal(selectDefault('/usr/lib/x86_64-linux-gnu/libsystemd.so.0', true, role(true, true)), true);
      assert.equal(selectDefault('/etc/cron.conf', false, role(false, false)), 'data');
    });

    it("leaves out CPython's test package and test-only extension modules", () => {
      for (const f of ['/usr/lib/python3.11/test/support/__init__.py', '/usr/lib/python3.11/lib-dynload/_testcapi.cpython-311-x86_64-linux-gnu.so',
        '/usr/lib/python3.11/lib-dynload/xxlimited_35.cpython-311-x86_64-linux-gnu.so', '/usr/lib/python3.11/lib-dynload/_ctypes_test.cpython-311-x86_64-linux-gnu.so']) {
        assert.equal(selectDefault(f, f.endsWith('.so'), role(true, true)), false, f);
      }
      assert.deepEqual(selectDefault('/usr/lib/python3.11/lib-dynload/_ctypes.cpython-311-x86_64-linux-gnu.so', true, role(false, false)), interp('python'));
      assert.deepEqual(selectDefault('/usr/lib/python3.11/unittest/case.py', false, role(false, false)), interp('python'));
      assert.deepEqual(selectDefault('/usr/lib/python3.11/tests.py', false, role(false, false)), interp('python'));
    });

    it("defers SASL's auxprop plugins to a server (sasl_server_init), from any package", () => {
      const server = { needs: { kind: 'symbol', name: 'sasl_server_init' } };
      for (const f of ['/usr/lib/x86_64-linux-gnu/sasl2/libsasldb.so.2.0.25', '/usr/lib/x86_64-linux-gnu/sasl2/libsql.so', '/usr/lib/x86_64-linux-gnu/sasl2/libldapdb.so.2']) {
        assert.deepEqual(selectDefault(f, true, role(false, false, libraryStems('libsasl2.so.2'))), server, f);
      }
      // The mechanisms are client plugins too: they come with the module directory.
      assert.equal(selectDefault('/usr/lib/x86_64-linux-gnu/sasl2/libscram.so.2.0.25', true, role(false, false, libraryStems('libsasl2.so.2'))), true);
    });

    it('does not count the Unicode helpers that convert only from the locale charset as gconv users', () => {
      for (const lib of ['/usr/lib/x86_64-linux-gnu/libunistring.so.2.2.0', '/usr/lib/x86_64-linux-gnu/libidn2.so.0', '/usr/lib/x86_64-linux-gnu/libpsl.so.5.3.4']) {
        assert.equal(opensModulesBy('iconv_open', lib), false, lib);
      }
      assert.equal(opensModulesBy('iconv_open', '/usr/lib/x86_64-linux-gnu/libavcodec.so.59'), true);
      assert.equal(opensModulesBy('iconv_open', '/usr/bin/git'), true);
      assert.equal(opensModulesBy('iconv_open', '/usr/lib/x86_64-linux-gnu/libunistringx.so.1'), true);
    });

    it('names the interpreter of a script from its #! line', () => {
      assert.equal(scriptInterpreter(Buffer.from('#!/usr/bin/perl -w\nuse strict;\n')), 'perl');
      assert.equal(scriptInterpreter(Buffer.from('#! /usr/bin/env python3\n')), 'python');
      assert.equal(scriptInterpreter(Buffer.from('#!/bin/sh\nset -e\n')), undefined);
      assert.equal(scriptInterpreter(Buffer.from('#!')), undefined);
    });
  });

  describe('dependency closure', () => {
    // app Depends lib, Recommends data and ca; lib Recommends model; data Depends dep;
    // ca is also a Depends of lib, so only data, dep and model are optional.
    const rel = (n: string) => [{ name: n }];
    const pkgs: Record<string, { depends: string[]; recommends: string[] }> = {
      app: { depends: ['lib'], recommends: ['data', 'ca', 'missing'] },
      lib: { depends: ['ca'], recommends: ['model'] },
      data: { depends: ['dep'], recommends: [] },
      dep: { depends: [], recommends: [] },
      ca: { depends: [], recommends: [] },
      model: { depends: [], recommends: [] },
    };
    const db = {
      info: async (n: string) => pkgs[n] && { name: n, version: '1', depends: [], recommends: [], provides: [], relations: { depends: pkgs[n].depends.map(rel), recommends: pkgs[n].recommends.map(rel) } },
      satisfy: async (g: { name: string }[]) => g.find((r) => pkgs[r.name])?.name,
    } as unknown as PackageDatabase;

    it('follows Depends and installed Recommends transitively', async () => {
      assert.deepEqual([...(await dependencyClosure(db, new Set(['app'])))].sort(), ['app', 'ca', 'data', 'dep', 'lib', 'model']);
    });
    it('tells which packages only a Recommends brings in, and through which package', async () => {
      assert.deepEqual(Object.fromEntries(await recommendedOnly(db, new Set(['app']))), { data: 'app', dep: 'data', model: 'lib' });
      // A seed is never optional, even when something recommends it.
      assert.deepEqual([...(await recommendedOnly(db, new Set(['app', 'model']))).keys()].sort(), ['data', 'dep']);
    });
  });

  describe('generated files', () => {
    it('takes unowned files only from directories no package lists files in, and from module directories', async () => {
      const root = fs.mkdtempSync(path.join(os.tmpdir(), 'cc-gen-'));
      try {
        const files: Record<string, string | null> = {
          '/etc/ssl/certs/ca-certificates.crt': null, // generated
          '/etc/apt/apt.conf.d/70debconf': 'debconf', // packaged
          '/etc/apt/apt.conf.d/99local': null, // an administrator's drop-in
          '/etc/dpkg/dpkg.cfg.d/excludes': null,
          '/etc/dpkg/dpkg.cfg': 'dpkg',
          '/etc/dpkg/origins/local': null, // no packaged file beside it: generated
          '/etc/apt/sources.list': null, // directly in /etc/<name>: written by the installer
          '/usr/lib/x86_64-linux-gnu/gconv/CP1252.so': 'libc6',
          '/usr/lib/x86_64-linux-gnu/gconv/gconv-modules.cache': null, // generated beside packaged modules
        };
        for (const f of Object.keys(files)) {
          fs.mkdirSync(path.join(root, path.dirname(f)), { recursive: true });
          fs.writeFileSync(path.join(root, f), 'x');
        }
        fs.mkdirSync(path.join(root, 'etc/dpkg/dpkg.cfg.d/sub'));
        const db = { ownersOf: async (p: string) => (files[p] ? [files[p]!] : []) } as unknown as PackageDatabase;
        const rootfs = await Rootfs.open(root);
        const builder = new PlanBuilder(rootfs);
        const added = await addGeneratedFiles(rootfs, db, builder, {
          etcDirs: ['/etc/ssl/certs', '/etc/apt', '/etc/apt/apt.conf.d', '/etc/dpkg', '/etc/dpkg/dpkg.cfg.d', '/etc/dpkg/origins'],
          moduleDirs: ['/usr/lib/x86_64-linux-gnu/gconv'],
        }, async () => true);
        const got = builder.entries().filter((e) => e.type === 'file').map((e) => e.path).sort();
        // dpkg.cfg.d holds no packaged file, but a "*.d" directory is for drop-ins.
        assert.deepEqual(got, ['/etc/dpkg/origins/local', '/etc/ssl/certs/ca-certificates.crt', '/usr/lib/x86_64-linux-gnu/gconv/gconv-modules.cache']);
        assert.equal(added, 3);
      } finally {
        fs.rmSync(root, { recursive: true, force: true });
      }
    });
  });

  describe('undefinedSymbols', function () {
    this.timeout(60_000);
    const wanted = new Set(['iconv_open', 'malloc', 'printf', 'no_such_symbol_anywhere']);
    const hostObjects = ['/usr/bin/bash', process.execPath, '/usr/bin/readelf'].map((p) => fs.realpathSync(p));

    for (const obj of hostObjects) {
      it(`agrees with readelf on ${obj}`, async () => {
        const oracle = readelfImports(obj);
        const got = await undefinedSymbols(obj, wanted);
        assert.notEqual(got, 'unknown');
        assert.deepEqual([...(got as Set<string>)].sort(), [...wanted].filter((w) => oracle.has(w)).sort());
      });
    }

    it('finds nothing imported by the library that defines the symbols', async () => {
      const libc = execFileSync('sh', ['-c', 'ldd /bin/sh | awk \'/libc\\.so/ { print $3 }\''], { encoding: 'utf8' }).trim();
      assert.deepEqual(await undefinedSymbols(fs.realpathSync(libc), wanted), new Set());
    });

    it('says nothing is imported by a file that is not ELF or is missing, and "unknown" for a mangled ELF', async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cc-undef-'));
      try {
        fs.writeFileSync(path.join(dir, 'script'), '#!/bin/sh\necho iconv_open\n');
        assert.deepEqual(await undefinedSymbols(path.join(dir, 'script'), wanted), new Set());
        assert.deepEqual(await undefinedSymbols(path.join(dir, 'missing'), wanted), new Set());
        // Only the first 4 KiB of a real object: its section headers point past the end.
        fs.writeFileSync(path.join(dir, 'cut'), fs.readFileSync('/usr/bin/bash').subarray(0, 4096));
        assert.equal(await undefinedSymbols(path.join(dir, 'cut'), wanted), 'unknown');
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });
  });
});
