// The default autodeps level's per-file rules: which files of a package in the dependency
// closure are taken, left out, kept for a later decision (non-ELF data, whose package must
// prove useful first) or deferred to a consumer (an interpreter, an imported symbol).
// Pure functions of paths, so they can be tested without a rootfs.
import * as path from 'node:path';
import { envProgramName, parseShebang } from './scripts';

const posix = path.posix;

/** Directories whose programs are other commands, not helpers of the target. */
export const PATH_DIRS = /^\/(usr\/(local\/)?)?(s?bin|games)\//;

/** Files no program reads at run time: headers, static/dev files, desktop integration. */
const NOT_RUNTIME = [
  /^\/usr\/include\//, /^\/usr\/share\/(lintian|bug|bash-completion|zsh|fish|menu|applications|icons|pixmaps|metainfo|appdata|gtk-doc|help|pkgconfig|aclocal|cmake)\//,
  /^\/usr\/lib\/([^/]+\/)?(pkgconfig|cmake)\//, /\.(a|la|h|pc)$/,
  // What the kernel, the init system and periodic jobs read, never a program in a
  // container: firmware, kernel modules, systemd units and tmpfiles/sysusers/binfmt snippets,
  // SysV init scripts, cron and logrotate entries (dbus's socket unit came with ffmpeg).
  /^\/(usr\/)?lib\/(firmware|modules|systemd|tmpfiles\.d|sysusers\.d|binfmt\.d)\//, /^\/etc\/(init\.d|systemd|cron\.[a-z]+|logrotate\.d)\//,
  // CPython's own regression-test support: the `test` package and the extension modules
  // built only for its test suite (_testcapi, _testbuffer, xxlimited...). No program imports them.
  /^\/usr\/lib\/python3[^/]*\/test\//, /^\/usr\/lib\/python3[^/]*\/lib-dynload\/(_test|_xxtest|_ctypes_test|xxlimited|xxsubtype)[^/]*\.so$/,
];

const TRIPLET = '[^/]+-linux-gnu[^/]*';
const MODULE_ROOT = new RegExp(`^(/usr/lib/(x86_64|i386|aarch64|arm|powerpc64le|s390x|riscv64|mips[^/]*|loongarch64)[^/]*-linux-gnu[^/]*|/usr/lib64)/([^/]+)/`);

/** Subdirectories of library directories: where plugins and loadable modules live. */
export function isModuleDir(dir: string): boolean {
  return MODULE_ROOT.test(dir + '/') || /^\/usr\/lib\/python3[^/]*\/lib-dynload$/.test(dir);
}

/** The top of the module directory a path is in ("/usr/lib/x86_64-linux-gnu/sox"), if any. */
export function moduleRoot(file: string): string | undefined {
  const m = MODULE_ROOT.exec(file);
  return m ? `${m[1]}/${m[3]}` : undefined;
}

/**
 * Module directories of hardware drivers: Mesa's GPU drivers (dri, which also holds the
 * VA-API drivers, gbm), VDPAU and Vulkan drivers, Intel's media SDK plugins. They only
 * work with the host's device and a matching kernel driver, which a container gets from its
 * runtime, and they bring LLVM: a rootfs with Recommends installed would add 100 MiB to
 * ffmpeg for them. A profile's keep globs add them when wanted.
 */
const HARDWARE_MODULE_DIRS = new Set(['dri', 'gbm', 'vdpau', 'vulkan', 'mfx']);

/**
 * Installed Recommends are optional by Debian's definition. The default level takes their
 * data when it serves the archive (the CA certificates libcurl recommends, the public suffix
 * list of libpsl), but not a data package bigger than this after the filters: that is a
 * feature's payload (a speech model, a sound bank), which a profile adds when wanted.
 */
export const BULKY_OPTIONAL_DATA = 8 * 1024 * 1024;

const norm = (s: string) => s.toLowerCase().replace(/_/g, '-');

/**
 * The names a library's module directory may have: libsox.so.3 -> "sox",
 * libgdk_pixbuf-2.0.so.0 -> "gdk-pixbuf-2.0" and "gdk-pixbuf", libgio-2.0.so.0 -> "gio".
 */
export function libraryStems(library: string): string[] {
  const m = /^lib(.+?)\.so(\.[0-9.]*)?$/.exec(posix.basename(library));
  if (!m) return [];
  const stem = norm(m[1]);
  const bare = stem.replace(/-[0-9][0-9.]*$/, '');
  return bare && bare !== stem ? [stem, bare] : [stem];
}

/** What a deferred file waits for: an interpreter in the archive, or an object importing a symbol. */
export type Consumer = { kind: 'interpreter'; name: string } | { kind: 'symbol'; name: string };

/**
 * Interpreters' library trees and configuration (Debian's locations), and the files that
 * show the interpreter itself is in the archive: its program or the library that embeds it. A tree without its
 * interpreter is dead weight: git depends on perl, but the default level never takes
 * /usr/bin/perl (another command), so perl's 30 MiB of modules could serve nothing.
 */
export const INTERPRETERS: { name: string; trees: RegExp; objects: RegExp }[] = [
  { name: 'perl', trees: new RegExp(`^(/etc/perl|/usr/(share/perl5?|lib/perl5?|lib/${TRIPLET}/perl(5|-base)?))/`), objects: /^(perl[0-9.]*|libperl\.so[0-9.]*)$/ },
  { name: 'python', trees: new RegExp(`^(/etc/python[23][^/]*|/usr/(lib/python[23][^/]*|share/python[23]?|lib/${TRIPLET}/python[23][^/]*))/`), objects: /^(python[23][0-9.]*|libpython[23][0-9.]*[a-z]*\.so[0-9.]*)$/ },
  { name: 'ruby', trees: new RegExp(`^/usr/(lib/ruby|lib/${TRIPLET}/ruby|share/ruby[^/]*|share/rubygems-integration)/`), objects: /^(ruby[0-9.]*|libruby[-0-9.]*\.so[0-9.]*)$/ },
  { name: 'tcl', trees: /^\/usr\/(share|lib)\/tcltk\//, objects: /^(tclsh[0-9.]*|libtcl[0-9.]*\.so[0-9.]*)$/ },
  { name: 'lua', trees: new RegExp(`^/usr/(share/lua|lib/${TRIPLET}/lua)/`), objects: /^(lua[0-9.]*|liblua[0-9.]*\.so[0-9.]*)$/ },
];

/** The interpreter a `#!` line names, when it is one of INTERPRETERS (`#!/usr/bin/env perl` too). */
export function scriptInterpreter(head: Buffer): string | undefined {
  const sb = parseShebang(head);
  const prog = sb && (envProgramName(sb) ?? sb.interpreter);
  return prog ? INTERPRETERS.find((t) => t.objects.test(posix.basename(prog)))?.name : undefined;
}

/**
 * Module directories that their library opens from a single entry point: taken only when
 * an object in the archive imports that symbol. glibc opens gconv modules for iconv_open();
 * the locales a busybox target has (C, C.UTF-8) use only the built-in charsets, so a
 * program that never calls iconv (Python, which has its own codecs) needs none of them.
 */
const MODULE_ENTRY_POINTS: { files: RegExp; symbol: string; notBy?: RegExp; anyPackage?: boolean }[] = [
  // Unicode helpers that import iconv_open only to convert from the locale's charset (IDN
  // host names in libidn2, which uses libunistring; libpsl likewise): in C and C.UTF-8
  // that charset is built in, so curl or wget alone do not need 7 MiB of modules.
  { files: new RegExp(`^/usr/lib(64)?/(${TRIPLET}/)?gconv/`), symbol: 'iconv_open', notBy: /^lib(unistring|idn2?|psl)\.so/ },
  // glibc's C.UTF-8 locale (libc-bin, an Essential sibling of libc6): not built in, and what
  // LANG=C.UTF-8, common in container images, selects. Without it perl warns, Python's
  // setlocale() fails and grep loses multibyte matching. Only for objects that call setlocale.
  { files: /^\/usr\/lib\/locale\/C\.(utf8|UTF-8)\//, symbol: 'setlocale', anyPackage: true },
  // Cyrus SASL's auxprop plugins (sasldb, sql, ldapdb) look up users' secrets for a server;
  // only sasl_server_init loads them. A client (libldap, so curl and git) calls
  // sasl_client_init, and sasldb alone would bring Berkeley DB's 1.8 MiB.
  { files: new RegExp(`^/usr/lib/(${TRIPLET}/)?sasl2/lib(sasldb|sql|ldapdb)\\.so`), symbol: 'sasl_server_init', anyPackage: true },
];
export const WATCHED_SYMBOLS = new Set(MODULE_ENTRY_POINTS.map((m) => m.symbol));

/** Whether an object that imports `symbol` opens the module directories behind it. */
export function opensModulesBy(symbol: string, object: string): boolean {
  const m = MODULE_ENTRY_POINTS.find((e) => e.symbol === symbol);
  return !m?.notBy?.test(posix.basename(object));
}

/** What is known about the package of a file when it is judged. */
export interface PackageRole {
  /** It owns a target. */
  own: boolean;
  /** It owns a file of the ELF closure (a library the program loads). */
  ownsLibrary: boolean;
  /** Module directories (see moduleRoot) holding files of a package that owns a library of the ELF closure. */
  moduleDirs: ReadonlySet<string>;
  /** Name stems of the ELF closure's libraries (see libraryStems). */
  stems: ReadonlySet<string>;
}

/**
 * The default level's choice for one file of a package in the dependency closure: true
 * (take it), false (leave it), 'data' (non-ELF data: taken if the package proves useful,
 * see Run.dataUseful) or the consumer it waits for (see Run.addDeferred).
 *  - never headers, static/dev files or desktop integration, nor other commands in
 *    /usr/bin and friends (documentation, man pages and translations are left to the
 *    profile's filters);
 *  - an interpreter's library tree (perl, Python, Ruby, Tcl, Lua), ELF modules included,
 *    from any package: when that interpreter is in the archive;
 *  - a module directory with a known entry point (libc's gconv, glibc's C.UTF-8 locale,
 *    SASL's server-side auxprop plugins):
 *    when an object in the archive imports it; gconv only from the target's packages or
 *    those owning a library in the ELF closure;
 *  - the target's own packages: everything else outside the command directories (helper
 *    programs such as /usr/lib/git-core/*, data such as templates);
 *  - loadable modules of the module directories the program's libraries open, from any
 *    package, with their ELF closures;
 *  - other non-ELF files: 'data';
 *  - never hardware drivers (see HARDWARE_MODULE_DIRS);
 *  - never other shared libraries nobody NEEDs: GPU drivers of a package merely depended
 *    upon (and their LLVM) stay out.
 */
export function selectDefault(file: string, elfLike: boolean, role: PackageRole): boolean | 'data' | { needs: Consumer } {
  if (NOT_RUNTIME.some((r) => r.test(file))) return false;
  if (PATH_DIRS.test(file)) return false;
  const root = moduleRoot(file);
  if (root && HARDWARE_MODULE_DIRS.has(posix.basename(root))) return false;
  const interp = INTERPRETERS.find((t) => t.trees.test(file));
  if (interp) return { needs: { kind: 'interpreter', name: interp.name } };
  const entry = MODULE_ENTRY_POINTS.find((m) => m.files.test(file));
  if (entry) return entry.anyPackage || role.own || role.ownsLibrary ? { needs: { kind: 'symbol', name: entry.symbol } } : false;
  if (role.own) return true;
  if (root && (role.ownsLibrary || role.moduleDirs.has(root) || role.stems.has(norm(posix.basename(root))))) return true;
  return elfLike ? false : 'data';
}
