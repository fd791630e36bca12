// Command-line parsing with node:util parseArgs, using mezzotint's flag names.
import { parseArgs } from 'node:util';
import { AUTODEPS_LEVELS, ComposeError, type AutodepsLevel } from '../engine';
import { CLI_FILTER_FLAGS, type FilterCategory } from '../engine/filters';

export interface CliOptions {
  exes: string[];
  root: string;
  copy?: string;
  dryRun: boolean;
  json: boolean;
  force: boolean;
  allowMissing: boolean;
  profile?: string;
  autodeps?: AutodepsLevel;
  gzipLevel: number;
  /** mezzotint's "keep this category" flags, and --invert. */
  filterFlags?: { named: FilterCategory[]; invert: boolean };
  help: boolean;
  version: boolean;
}

export const USAGE = `Usage: container-compositor -x PATH [-x PATH...] [-r ROOT] [-c NAME] [options]

Lifts programs and everything they need out of a root filesystem into
ROOT/tmp/NAME.tar.gz, to be unpacked at / of a minimal busybox+glibc container.

  -x, --exe PATH        program inside the rootfs (repeatable)
  -r, --root DIR        root filesystem (default: /)
  -c, --copy NAME       write ROOT/tmp/NAME.tar.gz (default NAME: the first program's name)
  -t, --dry-run         print the dependency tree, members and totals; write nothing
      --json            print the plan as JSON on stdout (with -t, write nothing else)
  -p, --profile FILE    mezzotint-style YAML profile
      --autodeps LEVEL  ${AUTODEPS_LEVELS.join(' | ')}
      --gzip-level N    0 (store) .. 9 (smallest), default 6
      --l10n --i18n --doc --man --logs --dirs --pic --arc
                        keep this category (the default profile removes l10n, doc,
                        man and logs); with --invert: remove only the named ones
      --force           replace an existing archive
      --allow-missing   write even if some libraries are unresolved
  -h, --help            this text
  -V, --version         print the version

Exit codes: 0 ok, 1 unresolved libraries, 2 usage error, 3 input or I/O error.
`;

export function parseCli(argv: string[]): CliOptions {
  // Loosely typed on purpose: the filter flags are generated from CLI_FILTER_FLAGS.
  let values: Record<string, string | boolean | string[] | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        exe: { type: 'string', short: 'x', multiple: true },
        root: { type: 'string', short: 'r' },
        copy: { type: 'string', short: 'c' },
        'dry-run': { type: 'boolean', short: 't' },
        json: { type: 'boolean' },
        force: { type: 'boolean' },
        'allow-missing': { type: 'boolean' },
        profile: { type: 'string', short: 'p' },
        autodeps: { type: 'string' },
        'gzip-level': { type: 'string' },
        ...Object.fromEntries(Object.keys(CLI_FILTER_FLAGS).map((f) => [f.slice(2), { type: 'boolean' as const }])),
        invert: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean', short: 'V' },
      },
    }));
  } catch (e) {
    throw new ComposeError('usage', undefined, (e as Error).message);
  }
  const autodeps = values.autodeps as AutodepsLevel | undefined;
  if (autodeps !== undefined && !AUTODEPS_LEVELS.includes(autodeps)) {
    throw new ComposeError('usage', undefined, `--autodeps must be one of ${AUTODEPS_LEVELS.join(', ')} (got "${autodeps}")`);
  }
  const gzipLevel = values['gzip-level'] === undefined ? 6 : Number(values['gzip-level'] as string);
  if (!Number.isInteger(gzipLevel) || gzipLevel < 0 || gzipLevel > 9) {
    throw new ComposeError('usage', undefined, `--gzip-level must be an integer from 0 to 9`);
  }
  const v = values as Record<string, unknown>;
  const named = Object.entries(CLI_FILTER_FLAGS).filter(([flag]) => v[flag.slice(2)] === true).map(([, c]) => c);
  const filterFlags = named.length || v.invert ? { named, invert: !!v.invert } : undefined;
  return {
    filterFlags,
    exes: (values.exe as string[] | undefined) ?? [], root: (values.root as string | undefined) ?? '/', copy: values.copy as string | undefined,
    dryRun: !!values['dry-run'], json: !!values.json, force: !!values.force, allowMissing: !!values['allow-missing'],
    profile: values.profile as string | undefined, autodeps, gzipLevel,
    help: !!values.help, version: !!values.version,
  };
}
