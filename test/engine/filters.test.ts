import { strict as assert } from 'node:assert';
import { readdirSync, readFileSync } from 'node:fs';
import {
  categoriesOf,
  CLI_FILTER_FLAGS,
  filterEntries,
  FILTER_CATEGORIES,
  type FilterSubject,
  globMatcher,
  isDocumentationPackage,
  judge,
  resolveFilters,
} from '../../src/engine/filters';
import { defaultProfile } from '../../src/engine/profile';

const cats = (path: string, extra: Partial<FilterSubject> = {}) => categoriesOf({ path, ...extra });

describe('filter categories', () => {
  it('doc: by location, never by substring', () => {
    assert.deepEqual(cats('/usr/share/doc/git/README.md'), ['doc']);
    assert.deepEqual(cats('/usr/share/doc/libc6/changelog.Debian.gz'), ['doc']);
    assert.deepEqual(cats('/usr/share/info/bzip2.info.gz'), ['doc']);
    assert.deepEqual(cats('/usr/share/gtk-doc/html/libtasn1/index.html'), ['doc']);
    assert.deepEqual(cats('/usr/share/doc-base/man-db.man-db'), ['doc']);
    // Words that look like documentation, in places that are not.
    assert.deepEqual(cats('/usr/lib/x86_64-linux-gnu/libhistory.so.8'), []);
    assert.deepEqual(cats('/usr/bin/pandoc'), []);
    // pydoc's topic texts are documentation in module form; pydoc itself is not.
    assert.deepEqual(cats('/usr/lib/python3.11/pydoc_data/topics.py'), ['doc']);
    assert.deepEqual(cats('/usr/lib/python3.11/pydoc.py'), []);
    assert.deepEqual(cats('/usr/share/pandoc/data/docx/word/document.xml'), []);
    assert.deepEqual(cats('/usr/share/fontconfig/conf.avail/10-hinting.conf'), []);
    assert.deepEqual(cats('/etc/fonts/fonts.conf'), []);
    assert.deepEqual(cats('/usr/share/docutils/writers/html.txt'), []);
    assert.deepEqual(cats('/usr/lib/python3/dist-packages/docutils/README.txt'), []);
    assert.deepEqual(cats('/usr/share/git-core/templates/description'), []);
  });

  it('doc: licences are not documentation', () => {
    assert.deepEqual(cats('/usr/share/common-licenses/GPL-3'), []);
    assert.deepEqual(cats('/usr/share/doc/libc6/copyright'), []);
    // Only the package's own copyright file, not anything called so deeper down.
    assert.deepEqual(cats('/usr/share/doc/foo/examples/copyright'), ['doc']);
  });

  it('doc: files of documentation-only packages, by package metadata', () => {
    assert.deepEqual(cats('/usr/share/bzip2-doc/manual.html', { docPackage: true }), ['doc']);
    assert.deepEqual(cats('/usr/share/bzip2-doc/manual.html', { docPackage: false }), []);
    // A doc package's man pages stay man pages (kept by --man).
    assert.deepEqual(cats('/usr/share/man/man1/git.1.gz', { docPackage: true }), ['man']);
    const manDb = ['/.', '/usr', '/usr/bin', '/usr/bin/man', '/usr/share', '/usr/share/man-db/chconfig'];
    assert.equal(isDocumentationPackage('doc', manDb), false, 'man-db ships programs');
    const bzDoc = ['/.', '/usr', '/usr/share', '/usr/share/doc', '/usr/share/info/bzip2.info.gz'];
    assert.equal(isDocumentationPackage('doc', bzDoc), true);
    assert.equal(isDocumentationPackage('contrib/doc', bzDoc), true);
    assert.equal(isDocumentationPackage('libs', bzDoc), false);
    assert.equal(isDocumentationPackage(undefined, bzDoc), false);
    assert.equal(isDocumentationPackage('doc', [...bzDoc, '/etc/x.conf']), false);
  });

  it('man: manual pages, translated ones included', () => {
    assert.deepEqual(cats('/usr/share/man/man1/ls.1.gz'), ['man']);
    assert.deepEqual(cats('/usr/share/man/de/man1/ls.1.gz'), ['man']);
    assert.deepEqual(cats('/usr/share/man-db/chconfig'), []);
    assert.deepEqual(cats('/usr/bin/man'), []);
  });

  it('l10n: translated message catalogs; i18n: locale machinery; neither touches what programs read anyway', () => {
    assert.deepEqual(cats('/usr/share/locale/de/LC_MESSAGES/coreutils.mo'), ['l10n']);
    assert.deepEqual(cats('/usr/share/locale/locale.alias'), []);
    assert.deepEqual(cats('/usr/share/i18n/charmaps/UTF-8.gz'), ['i18n']);
    assert.deepEqual(cats('/usr/share/i18n/locales/de_DE'), ['i18n']);
    assert.deepEqual(cats('/usr/lib/locale/locale-archive'), ['i18n']);
    assert.deepEqual(cats('/usr/lib/locale/C.utf8/LC_CTYPE'), []);
    assert.deepEqual(cats('/usr/lib/x86_64-linux-gnu/gconv/CP1252.so'), []);
    assert.deepEqual(cats('/usr/lib/x86_64-linux-gnu/gconv/gconv-modules.cache'), []);
    assert.deepEqual(cats('/usr/share/X11/locale/en_US.UTF-8/Compose'), []);
    assert.deepEqual(cats('/usr/share/localedata/x'), []);
  });

  it('log: files under /var/log, not the directories', () => {
    assert.deepEqual(cats('/var/log/dpkg.log'), ['log']);
    assert.deepEqual(cats('/var/log/apt/history.log.1.gz'), ['log']);
    assert.deepEqual(cats('/var/log/apt', { type: 'dir' }), []);
    assert.deepEqual(cats('/var/lib/app/state.log'), []);
  });

  it('images: pictures in icon and picture directories', () => {
    assert.deepEqual(cats('/usr/share/icons/hicolor/48x48/apps/vlc.png'), ['images']);
    assert.deepEqual(cats('/usr/share/pixmaps/debian-logo.svg'), ['images']);
    assert.deepEqual(cats('/usr/share/icons/hicolor/index.theme'), []);
    assert.deepEqual(cats('/usr/share/icons/hicolor/icon-theme.cache'), []);
    assert.deepEqual(cats('/usr/lib/python3/dist-packages/matplotlib/mpl-data/images/home.png'), []);
  });

  it('archives: static and libtool libraries, package files, tarballs in copy places', () => {
    assert.deepEqual(cats('/usr/lib/x86_64-linux-gnu/libc.a'), ['archives']);
    assert.deepEqual(cats('/usr/lib/gcc/x86_64-linux-gnu/12/libgcc.a'), ['archives']);
    assert.deepEqual(cats('/usr/lib/x86_64-linux-gnu/libxmlsec1.la'), ['archives']);
    // ltdl reads a module's .la at run time.
    assert.deepEqual(cats('/usr/lib/x86_64-linux-gnu/ImageMagick-6.9.11/modules-Q16/coders/png.la'), []);
    assert.deepEqual(cats('/var/cache/apt/archives/curl_7.88.1-10_amd64.deb'), ['archives']);
    assert.deepEqual(cats('/usr/src/linux-source-6.1.tar.xz'), ['archives']);
    assert.deepEqual(cats('/usr/share/doc/foo/examples/demo.tar.gz'), ['doc', 'archives']);
    // Compressed files programs open.
    assert.deepEqual(cats('/usr/share/python-wheels/pip-23.0.1-py3-none-any.whl'), []);
    assert.deepEqual(cats('/usr/share/java/ant.jar'), []);
    assert.deepEqual(cats('/usr/share/consolefonts/Lat15-Fixed16.psf.gz'), []);
    assert.deepEqual(cats('/usr/share/zoneinfo/Europe/Berlin'), []);
    assert.deepEqual(cats('/usr/share/data/sample.a'), []);
  });

  it('dir: only directories known to be empty', () => {
    assert.deepEqual(cats('/var/spool/x', { type: 'dir', emptyDir: true }), ['dir']);
    assert.deepEqual(cats('/var/spool/x', { type: 'dir', emptyDir: false }), []);
    assert.deepEqual(cats('/var/spool/x', { emptyDir: true }), []);
  });

  it('puts nothing of the host’s /usr/bin or library directory in any category', () => {
    for (const dir of ['/usr/bin', '/usr/lib/x86_64-linux-gnu']) {
      let names: string[];
      try {
        names = readdirSync(dir);
      } catch {
        continue;
      }
      assert.ok(names.length > 10);
      const hits = names
        .filter((n) => !n.endsWith('.a') && !n.endsWith('.la'))
        .map((n) => `${dir}/${n}`)
        .filter((p) => categoriesOf({ path: p }).length > 0);
      assert.deepEqual(hits, []);
    }
  });
});

describe('globs, keep and prune', () => {
  it('matches globs with dotfiles, and a directory pattern covers what is below it', () => {
    const m = globMatcher(['/etc', '/usr/share/bug/*', '/opt/**/*.cfg']);
    assert.ok(m('/etc/ssl/certs/ca-certificates.crt'));
    assert.ok(m('/etc/.pwd.lock'));
    assert.ok(m('/usr/share/bug/man-db/presubj'));
    assert.ok(m('/opt/a/b/c.cfg'));
    assert.ok(!m('/etcetera/x'));
    assert.ok(!m('/usr/share/bug'));
    assert.ok(!m('/opt/a/b/c.cfgx'));
    assert.equal(globMatcher([])('/etc'), false);
  });

  it('keep wins over filters and prune; a target is never removed', () => {
    const policy = {
      filters: ['doc', 'man'] as const,
      keep: globMatcher(['/usr/share/doc/tool/**']),
      prune: globMatcher(['/usr/share/doc/**', '/usr/bin/*']),
      targets: new Set(['/usr/bin/tool']),
    };
    assert.deepEqual(judge({ path: '/usr/share/doc/tool/README' }, policy), { drop: false, rule: 'profile:keep' });
    assert.deepEqual(judge({ path: '/usr/share/doc/other/README' }, policy), { drop: true, rule: 'profile:prune' });
    assert.deepEqual(judge({ path: '/usr/bin/tool' }, policy), { drop: false, rule: 'target' });
    assert.deepEqual(judge({ path: '/usr/bin/other' }, policy), { drop: true, rule: 'profile:prune' });
    assert.deepEqual(judge({ path: '/usr/share/man/man1/tool.1.gz' }, policy), { drop: true, rule: 'filter:man' });
    assert.deepEqual(judge({ path: '/usr/lib/tool/data.xml' }, policy), { drop: false });
    assert.deepEqual(judge({ path: '/usr/share/man/man1/tool.1.gz' }, { filters: [] }), { drop: false });
  });

  it('filters a plan: emptied directories go, directories above kept files stay', () => {
    const entries: FilterSubject[] = [
      { path: '/usr', type: 'dir' },
      { path: '/usr/share', type: 'dir' },
      { path: '/usr/share/doc', type: 'dir' },
      { path: '/usr/share/doc/tool', type: 'dir' },
      { path: '/usr/share/doc/tool/README', type: 'file' },
      { path: '/usr/share/doc/tool/copyright', type: 'file' },
      { path: '/usr/share/doc/gone', type: 'dir' },
      { path: '/usr/share/doc/gone/NEWS.gz', type: 'file' },
      { path: '/var', type: 'dir' },
      { path: '/var/spool', type: 'dir' },
      { path: '/var/spool/empty', type: 'dir' },
      { path: '/usr/bin', type: 'dir' },
      { path: '/usr/bin/tool', type: 'file' },
    ];
    const run = (filters: readonly (typeof FILTER_CATEGORIES)[number][]) => {
      const r = filterEntries(entries, { filters, targets: new Set(['/usr/bin/tool']) });
      return { kept: r.kept.map((e) => e.path), dropped: r.dropped.map((d) => `${d.entry.path} ${d.rule}`) };
    };
    const docOnly = run(['doc']);
    assert.deepEqual(docOnly.dropped, ['/usr/share/doc/tool/README filter:doc', '/usr/share/doc/gone filter:doc', '/usr/share/doc/gone/NEWS.gz filter:doc']);
    // /usr/share/doc is a doc location, but the kept copyright file needs it.
    assert.ok(docOnly.kept.includes('/usr/share/doc'));
    assert.ok(docOnly.kept.includes('/usr/share/doc/tool'));
    assert.ok(docOnly.kept.includes('/var/spool/empty'));
    const withDirs = run(['doc', 'dir']);
    assert.deepEqual(withDirs.dropped, [
      '/usr/share/doc/tool/README filter:doc',
      '/usr/share/doc/gone filter:doc',
      '/usr/share/doc/gone/NEWS.gz filter:doc',
      '/var filter:dir',
      '/var/spool filter:dir',
      '/var/spool/empty filter:dir',
    ]);
    assert.ok(withDirs.kept.includes('/usr/bin'));
  });
});

describe('mezzotint CLI flags and --invert', () => {
  const base = defaultProfile().filters;
  it('maps every mezzotint flag to a category', () => {
    assert.deepEqual(Object.keys(CLI_FILTER_FLAGS), ['--l10n', '--i18n', '--doc', '--man', '--logs', '--dirs', '--pic', '--arc']);
    assert.deepEqual([...new Set(Object.values(CLI_FILTER_FLAGS))].sort(), [...FILTER_CATEGORIES].sort());
  });
  it('a flag keeps its category', () => {
    assert.deepEqual(resolveFilters(base, { named: ['doc'], invert: false, profileFile: false }), ['l10n', 'man', 'log']);
    assert.deepEqual(resolveFilters(base, { named: [], invert: false, profileFile: false }), base);
  });
  it('--invert without a profile removes exactly the named categories', () => {
    assert.deepEqual(resolveFilters(base, { named: ['doc', 'images'], invert: true, profileFile: false }), ['doc', 'images']);
    assert.deepEqual(resolveFilters(base, { named: [], invert: true, profileFile: false }), []);
  });
  it('with a profile, flags only override the categories they name', () => {
    const prof = ['doc', 'man'] as const;
    assert.deepEqual(resolveFilters(prof, { named: ['archives'], invert: true, profileFile: true }), ['doc', 'man', 'archives']);
    assert.deepEqual(resolveFilters(prof, { named: ['man'], invert: false, profileFile: true }), ['doc']);
    assert.deepEqual(resolveFilters(prof, { named: [], invert: true, profileFile: true }), ['doc', 'man']);
  });
});

describe('filters against the host dpkg database', () => {
  it('finds the host’s Section: doc packages that are documentation only, and not man-db', function () {
    let status: string;
    try {
      status = readFileSync('/var/lib/dpkg/status', 'utf8');
    } catch {
      this.skip();
    }
    const docPkgs = [...status!.matchAll(/^Package: (\S+)\n(?:[^\n]+\n)*?Section: doc$/gm)].map((m) => m[1]);
    if (!docPkgs.includes('man-db')) this.skip();
    const read = (p: string) => {
      for (const f of [`${p}.list`, `${p}:amd64.list`]) {
        try {
          return readFileSync(`/var/lib/dpkg/info/${f}`, 'utf8').split('\n').filter(Boolean);
        } catch {
          /* try the next name */
        }
      }
      return [];
    };
    assert.equal(isDocumentationPackage('doc', read('man-db')), false);
    const docOnly = docPkgs.filter((p) => isDocumentationPackage('doc', read(p)));
    assert.ok(docOnly.length > 0 && docOnly.length < docPkgs.length, docOnly.join(' '));
  });
});
