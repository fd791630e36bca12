#!/usr/bin/env node
// Makes the test workspace for the real-VS-Code suites: a small but real rootfs built from
// the host's busybox and the libraries it loads (found with the host's ldd), laid out like
// a merged-/usr Debian, plus a folder that is not a rootfs.
//
//   node test/vscode/make-fixture.mjs <workspace-dir>
//
// <workspace-dir>/rootfs         the rootfs (detected one level down)
// <workspace-dir>/notes          an ordinary folder (the Explorer menu must not show there)
// <workspace-dir>/notes/missing.json  which program of the rootfs misses which libraries
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

const ws = path.resolve(process.argv[2] ?? '');
if (!process.argv[2]) { console.error('usage: make-fixture.mjs <workspace-dir>'); process.exit(2); }
const BUSYBOX = ['/usr/bin/busybox', '/bin/busybox'].find(p => fs.existsSync(p));
if (!BUSYBOX) { console.error('make-fixture: busybox is not installed on the host (apt-get install busybox)'); process.exit(1); }

const root = path.join(ws, 'rootfs');
fs.rmSync(ws, { recursive: true, force: true });
const mk = p => fs.mkdirSync(path.join(root, p), { recursive: true });
const write = (p, text, mode = 0o644) => { mk(path.dirname(p)); fs.writeFileSync(path.join(root, p), text, { mode }); };
const link = (p, target) => { mk(path.dirname(p)); fs.symlinkSync(target, path.join(root, p)); };
const copy = (from, to, mode = 0o755) => { mk(path.dirname(to)); fs.copyFileSync(fs.realpathSync(from), path.join(root, to)); fs.chmodSync(path.join(root, to), mode); };

// Libraries of a host program, from ldd ("libc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x...)").
function lddOf(program) {
  const out = execFileSync('ldd', [program], { encoding: 'utf8' });
  const libs = [];
  let loader;
  for (const line of out.split('\n')) {
    const m = /^\s*(\S+)\s+=>\s+(\/\S+)/.exec(line);
    if (m) libs.push({ soname: m[1], host: m[2] });
    const l = /^\s*(\/\S*ld-linux\S*)\s+\(/.exec(line);
    if (l) loader = l[1];
  }
  return { out, libs, loader };
}
const { out: ldd, libs, loader } = lddOf(BUSYBOX);
if (!loader || !libs.some(l => l.soname === 'libc.so.6')) { console.error(`make-fixture: unexpected ldd output:\n${ldd}`); process.exit(1); }
const multiarch = path.basename(path.dirname(libs.find(l => l.soname === 'libc.so.6').host)); // x86_64-linux-gnu
const libdir = `usr/lib/${multiarch}`;

for (const d of ['etc/ld.so.conf.d', 'usr/bin', 'usr/local/bin', 'usr/sbin', libdir, 'usr/lib64', 'var/lib/dpkg/info', 'run', 'root', 'usr/share/many']) mk(d);
fs.mkdirSync(path.join(root, 'tmp'), { mode: 0o1777 });
fs.chmodSync(path.join(root, 'tmp'), 0o1777);
// merged-/usr layout links
link('bin', 'usr/bin');
link('sbin', 'usr/sbin');
link('lib', 'usr/lib');
link('lib64', 'usr/lib64');

write('usr/lib/os-release', [
  'PRETTY_NAME="Fixture Linux 1 (busybox)"', 'NAME="Fixture Linux"', 'VERSION_ID="1"', 'VERSION="1 (busybox)"', 'ID=fixture', 'ID_LIKE=debian', '',
].join('\n'));
link('etc/os-release', '../usr/lib/os-release');
write('etc/ld.so.conf', 'include /etc/ld.so.conf.d/*.conf\n');
write(`etc/ld.so.conf.d/${multiarch}.conf`, `/usr/local/lib/${multiarch}\n/lib/${multiarch}\n/usr/lib/${multiarch}\n`);

copy(BUSYBOX, 'usr/bin/busybox');
link('usr/bin/sh', 'busybox');                 // relative link
link('usr/bin/ls', '/usr/bin/busybox');        // absolute link: resolves inside the rootfs
link('usr/bin/broken', 'does-not-exist');      // dangling
link('usr/bin/loop', 'loop');                  // symlink loop
write('usr/bin/hello.sh', '#!/bin/sh\necho hello\n', 0o755);
for (const l of libs) copy(l.host, `${libdir}/${l.soname}`, 0o644);
copy(loader, `${libdir}/${path.basename(loader)}`);
link(`usr/lib64/${path.basename(loader)}`, `/lib/${multiarch}/${path.basename(loader)}`);
// A program whose libraries are not all there: the preview shows them as unresolved.
const incomplete = ['/bin/ls', '/usr/bin/tar', '/usr/bin/dpkg'].find(p => fs.existsSync(p) && lddOf(p).libs.some(l => !libs.some(b => b.soname === l.soname)));
if (!incomplete) { console.error('make-fixture: no host program with a library busybox does not use'); process.exit(1); }
copy(incomplete, 'usr/local/bin/gnu-' + path.basename(incomplete));
const missing = lddOf(incomplete).libs.filter(l => !libs.some(b => b.soname === l.soname)).map(l => l.soname);
fs.mkdirSync(path.join(ws, 'notes'), { recursive: true });
fs.writeFileSync(path.join(ws, 'notes', 'missing.json'), JSON.stringify({ program: '/usr/local/bin/gnu-' + path.basename(incomplete), missing }) + '\n');
execFileSync('mkfifo', [path.join(root, 'run/initctl')]);   // a FIFO: listed, never opened
for (let i = 0; i < 1500; i++) write(`usr/share/many/file-${String(i).padStart(4, '0')}.txt`, `${i}\n`);

// A minimal dpkg database, so the root shows its package manager.
const version = pkg => { try { return execFileSync('dpkg-query', ['-W', '-f=${Version}', pkg], { encoding: 'utf8' }).trim() || '1'; } catch { return '1'; } };
const stanza = (pkg, files) => {
  write(`var/lib/dpkg/info/${pkg}:amd64.list`, files.map(f => f + '\n').join(''));
  return `Package: ${pkg}\nStatus: install ok installed\nPriority: optional\nArchitecture: amd64\nVersion: ${version(pkg)}\nDescription: ${pkg} (test fixture)\n`;
};
write('var/lib/dpkg/status', [
  stanza('busybox', ['/usr/bin/busybox']),
  stanza('libc6', [...libs.map(l => `/lib/${multiarch}/${l.soname}`), `/lib/${multiarch}/${path.basename(loader)}`, `/lib64/${path.basename(loader)}`]),
].join('\n'));

// Not a rootfs: the Explorer must not offer our commands here.
fs.mkdirSync(path.join(ws, 'notes'), { recursive: true });
fs.writeFileSync(path.join(ws, 'notes', 'README.txt'), 'Not a root filesystem.\n');
// Workspace settings for the suites.
fs.mkdirSync(path.join(ws, '.vscode'), { recursive: true });
fs.writeFileSync(path.join(ws, '.vscode', 'settings.json'), JSON.stringify({
  // The suites assert exact closures, so they pin the level (override with CC_FIXTURE_AUTODEPS).
  'containerCompositor.autodeps': process.env.CC_FIXTURE_AUTODEPS || 'none',
  'files.exclude': { '**/.vscode': true },
}, null, 2) + '\n');
console.log(`fixture: ${root} (busybox + ${libs.map(l => l.soname).join(', ')} + ${path.basename(loader)}; ${incomplete} without ${missing.join(', ')})`);
