import { strict as assert } from 'node:assert';
import { promises as fsp } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ComposeError } from '../../src/engine/errors';
import { defaultProfile, loadProfile, parseProfile } from '../../src/engine/profile';

/** Asserts that parsing fails with a ComposeError naming the file, the line and the key. */
function fails(text: string, line: number, ...fragments: (string | RegExp)[]): ComposeError {
  let err: unknown;
  try {
    parseProfile(text, '/p/app.yaml');
  } catch (e) {
    err = e;
  }
  assert.ok(err instanceof ComposeError, `expected a ComposeError, got ${String(err)}`);
  assert.equal(err.file, '/p/app.yaml');
  assert.equal(err.kind, 'input');
  assert.ok(err.message.startsWith(`/p/app.yaml: line ${line}: `), err.message);
  for (const f of fragments) {
    if (typeof f === 'string') assert.ok(err.message.includes(f), `${err.message} lacks ${f}`);
    else assert.match(err.message, f);
  }
  return err;
}

describe('profiles', () => {
  it('reads every key of a mezzotint-style profile', () => {
    const p = parseProfile(
      [
        'targets:',
        '  - /usr/bin/ffmpeg',
        'packages:',
        '  - fontconfig-config',
        '  - +libc6:amd64',
        '  - -perl-base',
        'config:',
        '  filters: [doc, man, pic, arc]',
        '  keep:',
        '    - /etc/ssl/**',
        '  prune:',
        '    - /usr/share/bug/*',
        'hooks:',
        '  after: |',
        '    ln -s /usr/bin/ffmpeg /usr/bin/ff',
        '',
      ].join('\n'),
      '/p/app.yaml',
    );
    assert.equal(p.source, '/p/app.yaml');
    assert.deepEqual(p.targets, ['/usr/bin/ffmpeg']);
    assert.deepEqual(p.packages, { add: ['fontconfig-config', 'libc6:amd64'], remove: ['perl-base'] });
    assert.deepEqual(p.filters, ['doc', 'man', 'images', 'archives']);
    assert.deepEqual(p.keep, ['/etc/ssl/**']);
    assert.deepEqual(p.prune, ['/usr/share/bug/*']);
    assert.equal(p.hooks.after, 'ln -s /usr/bin/ffmpeg /usr/bin/ff\n');
    assert.deepEqual(p.warnings, [
      '/p/app.yaml: line 14: hooks.after is not executed: the compositor never runs code from a profile or the rootfs',
    ]);
  });

  it('loads mezzotint’s own example profile (filters are what is removed)', () => {
    const p = parseProfile(
      [
        'targets:',
        '    - /usr/bin/bash',
        'packages:',
        '    - bash',
        'config:',
        '    filters:',
        '        # Matches localisation data',
        '        - l10n',
        '        - i18n',
        '        - doc',
        '        - man',
        '        - log',
        '        - dir',
        '    prune:',
        '        - /usr/share/bug/*',
        '        - /usr/share/lintian/*',
        '    keep:',
        '        - /etc/*',
      ].join('\n'),
      '/p/m.yaml',
    );
    assert.deepEqual(p.filters, ['l10n', 'i18n', 'doc', 'man', 'log', 'dir']);
    assert.deepEqual(p.keep, ['/etc/*']);
  });

  it('expands "all" to every category', () => {
    assert.deepEqual(parseProfile('config:\n  filters: [all]\n', 'f').filters, ['l10n', 'i18n', 'doc', 'man', 'log', 'dir', 'images', 'archives']);
  });

  it('takes defaults for absent keys, and an explicit empty list as written', () => {
    const d = defaultProfile();
    const p = parseProfile('targets: [/usr/bin/git]\n', 'f');
    assert.deepEqual(p.filters, d.filters);
    assert.deepEqual(p.prune, d.prune);
    assert.deepEqual(parseProfile('config:\n  filters: []\n  prune: []\n', 'f').filters, []);
    assert.deepEqual(parseProfile('config:\n  filters:\n', 'f').filters, []);
    assert.deepEqual(parseProfile('config:\n', 'f').filters, d.filters);
  });

  it('has a default that drops docs, man pages, translations and logs, nothing read at run time', () => {
    const d = defaultProfile();
    assert.deepEqual(d.filters, ['l10n', 'doc', 'man', 'log']);
    for (const c of ['i18n', 'images', 'archives', 'dir'] as const) assert.ok(!d.filters.includes(c), c);
    assert.deepEqual(d.targets, []);
    assert.deepEqual(d.warnings, []);
    // Each call is a fresh object: callers may modify theirs.
    d.filters.push('dir');
    assert.ok(!defaultProfile().filters.includes('dir'));
  });

  it('resolves YAML aliases', () => {
    const p = parseProfile('config:\n  keep: &k\n    - /etc/**\n  prune: *k\n', 'f');
    assert.deepEqual(p.prune, ['/etc/**']);
  });

  describe('errors name the file, the line and the key', () => {
    it('unknown top-level key', () => {
      fails('targets: [/bin/x]\n\ntarget: /bin/y\n', 3, 'unknown key "target"', 'targets, packages, config, hooks');
    });
    it('unknown config key', () => {
      fails('config:\n  filters: [doc]\n  filter: [man]\n', 3, 'config: unknown key "filter"');
    });
    it('wrong type for targets', () => {
      fails('packages: [a]\ntargets: /usr/bin/x\n', 2, 'targets: expected a list');
    });
    it('wrong type for config', () => {
      fails('config:\n  - doc\n', 2, 'config: expected a mapping');
    });
    it('unknown filter, with its index', () => {
      fails('config:\n  filters:\n    - doc\n    - docs\n', 4, 'config.filters[1]: unknown filter "docs"', 'l10n, i18n');
    });
    it('a number where a path is expected', () => {
      fails('targets:\n  - /usr/bin/a\n  - 42\n', 3, 'targets[1]: expected a non-empty string');
    });
    it('relative target and relative glob', () => {
      fails('targets: [usr/bin/a]\n', 1, 'targets[0]: "usr/bin/a" is not an absolute path');
      fails('config:\n  keep:\n    - etc/*\n', 3, 'config.keep[0]: "etc/*" must be an absolute path or glob');
    });
    it('bad package entries', () => {
      fails('packages:\n  - "two words"\n', 2, 'packages[0]: "two words" is not a package name');
      fails('packages:\n  - perl\n  - -perl\n', 3, 'packages[1]: package "perl" is both added and removed');
    });
    it('duplicate key', () => {
      fails('targets: [/a]\nconfig: {}\ntargets: [/b]\n', 3, 'targets: duplicate key');
    });
    it('hooks that are not scripts', () => {
      fails('hooks:\n  before:\n    - echo\n', 3, 'hooks.before: expected a script');
      fails('hooks:\n  during: echo\n', 2, 'hooks: unknown key "during"; expected before, after');
    });
    it('YAML syntax errors', () => {
      fails('targets: [/a,\nconfig:\n  filters: [doc]\n', 2, /invalid YAML/);
      fails('targets: [/a]\n---\ntargets: [/b]\n', 2, /invalid YAML: Source contains multiple documents/);
    });
    it('empty or scalar profile', () => {
      fails('', 1, 'the profile is empty');
      fails('just a string\n', 1, 'expected a mapping');
    });
  });

  it('loads from disk and names a missing file', async () => {
    const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'cc-profile-'));
    try {
      const file = path.join(dir, 'p.yaml');
      await fsp.writeFile(file, 'targets: [/usr/bin/curl]\nconfig:\n  filters: [bogus]\n');
      await assert.rejects(loadProfile(file), (e: unknown) => e instanceof ComposeError && e.file === file && /line 3: config\.filters\[0\]/.test(e.message));
      await fsp.writeFile(file, 'targets: [/usr/bin/curl]\n');
      assert.deepEqual((await loadProfile(file)).targets, ['/usr/bin/curl']);
      await assert.rejects(loadProfile(path.join(dir, 'none.yaml')), /none\.yaml: cannot read: does not exist/);
    } finally {
      await fsp.rm(dir, { recursive: true });
    }
  });
});
