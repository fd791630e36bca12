// The default level's per-file choices, and the .dynsym reader its gconv rule relies on,
// checked against readelf on the host's own objects.
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { selectDefault, undefinedSymbols } from '../../src/engine/autodeps';

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

describe('autodeps default level', () => {
  describe('selectDefault', () => {
    const interp = (name: string) => ({ needs: { kind: 'interpreter', name } });
    it('defers interpreter trees to the interpreter, whatever the package', () => {
      assert.deepEqual(selectDefault('/usr/share/perl/5.36.0/strict.pm', false, false, false), interp('perl'));
      assert.deepEqual(selectDefault('/usr/share/perl5/Git.pm', false, true, true), interp('perl'));
      assert.deepEqual(selectDefault('/usr/lib/x86_64-linux-gnu/perl/5.36.0/auto/POSIX/POSIX.so', true, false, false), interp('perl'));
      assert.deepEqual(selectDefault('/usr/lib/x86_64-linux-gnu/perl-base/strict.pm', false, false, true), interp('perl'));
      assert.deepEqual(selectDefault('/etc/perl/Net/libnet.cfg', false, false, false), interp('perl'));
      assert.deepEqual(selectDefault('/usr/lib/python3.11/json/__init__.py', false, false, false), interp('python'));
      assert.deepEqual(selectDefault('/usr/lib/python3.11/lib-dynload/_ssl.cpython-311-x86_64-linux-gnu.so', true, false, false), interp('python'));
      assert.deepEqual(selectDefault('/usr/lib/python3/dist-packages/foo/__init__.py', false, false, false), interp('python'));
      assert.deepEqual(selectDefault('/usr/lib/ruby/3.1.0/set.rb', false, false, false), interp('ruby'));
    });

    it('defers gconv modules to an importer of iconv_open, only from packages that matter', () => {
      const iconv = { needs: { kind: 'symbol', name: 'iconv_open' } };
      assert.deepEqual(selectDefault('/usr/lib/x86_64-linux-gnu/gconv/CP1252.so', true, false, true), iconv);
      assert.deepEqual(selectDefault('/usr/lib/x86_64-linux-gnu/gconv/gconv-modules', false, false, true), iconv);
      assert.deepEqual(selectDefault('/usr/lib/x86_64-linux-gnu/gconv/gconv-modules.d/gconv-modules-extra.conf', false, true, false), iconv);
      assert.equal(selectDefault('/usr/lib/x86_64-linux-gnu/gconv/CP1252.so', true, false, false), false);
    });

    it('keeps the other choices', () => {
      assert.equal(selectDefault('/usr/bin/perl', true, false, true), false); // another command
      assert.equal(selectDefault('/usr/include/stdio.h', false, true, true), false);
      assert.equal(selectDefault('/usr/share/applications/git-gui.desktop', false, true, true), false);
      assert.equal(selectDefault('/usr/lib/git-core/git-remote-http', true, true, true), true); // own helper
      assert.equal(selectDefault('/etc/fonts/fonts.conf', false, false, false), true); // runtime data
      assert.equal(selectDefault('/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf', false, false, false), true);
      assert.equal(selectDefault('/usr/lib/x86_64-linux-gnu/caca/libgl_plugin.so.0', true, false, true), true); // module dir
      assert.equal(selectDefault('/usr/lib/x86_64-linux-gnu/dri/radeonsi_dri.so', true, false, false), false); // not loaded by us
      assert.equal(selectDefault('/usr/lib/x86_64-linux-gnu/libLLVM-15.so.1', true, false, true), false); // nobody NEEDs it
    });
  });

  describe('undefinedSymbols', () => {
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
