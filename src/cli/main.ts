// The CLI: a thin shell over the engine calls the extension uses too.
import * as path from 'node:path';
import { existsSync } from 'node:fs';
import { archiveFileName, archivePathFor, buildPlan, ComposeError, formatReport, writeArchive, type Plan } from '../engine';
import { formatBytes } from '../engine/report';
import { parseCli, USAGE } from './args';
import { progressBar } from './progressBar';
import { toJson } from './json';

declare const PACKAGE_VERSION: string;

const EXIT = { ok: 0, unresolved: 1, usage: 2, input: 3, io: 3, cancelled: 130 } as const;

async function main(argv: string[]): Promise<number> {
  const opts = parseCli(argv);
  if (opts.help) {
    process.stdout.write(USAGE);
    return EXIT.ok;
  }
  if (opts.version) {
    process.stdout.write(`container-compositor ${typeof PACKAGE_VERSION === 'string' ? PACKAGE_VERSION : 'dev'}\n`);
    return EXIT.ok;
  }
  if (opts.exes.length === 0 && !opts.profile) throw new ComposeError('usage', undefined, 'no program given: use --exe PATH');
  for (const x of opts.exes) {
    // "usr/bin/ls" is most likely the rootfs path without its leading slash.
    const hint = x.includes('/') ? `/${x.replace(/^(\.\/)+/, '')}` : `/usr/bin/${x || 'NAME'}`;
    if (!x.startsWith('/')) throw new ComposeError('usage', undefined, `--exe takes an absolute path inside the rootfs (e.g. ${hint}), got ${JSON.stringify(x)}`);
  }
  // The same program twice would be one closure printed twice.
  opts.exes = [...new Set(opts.exes)];
  // A bad name is a usage error in a dry run too, so that -t checks the command it stands for.
  if (opts.copy !== undefined) archiveFileName(opts.copy);
  // Fail fast, before the plan is computed: an archive that is in the way.
  const early = !opts.dryRun && (opts.copy ?? opts.exes[0]);
  if (early) {
    const file = archiveFileName(opts.copy ?? path.posix.basename(opts.exes[0]));
    const target = await archivePathFor(path.resolve(opts.root), file).catch(() => undefined);
    if (target && !opts.force && existsSync(target)) throw new ComposeError('io', target, 'already exists; use --force to replace it');
  }
  const abort = new AbortController();
  const onSignal = () => abort.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const bar = progressBar();
  try {
    const plan = await buildPlan({
      root: path.resolve(opts.root), exes: opts.exes, autodeps: opts.autodeps, profile: opts.profile, filterFlags: opts.filterFlags, signal: abort.signal, onProgress: bar.update,
    });
    bar.done();
    if (opts.json) process.stdout.write(JSON.stringify(toJson(plan), null, 2) + '\n');
    else if (opts.dryRun) process.stdout.write(formatReport(plan));
    // The dry-run report lists them; otherwise they go to stderr, where they explain an
    // unresolved library (a FIFO skipped, an unreadable candidate) or a skipped file.
    if (!opts.dryRun || opts.json) for (const w of plan.warnings) process.stderr.write(`warning: ${w}\n`);
    if (plan.unresolved.length > 0 && !opts.allowMissing) {
      reportUnresolved(plan);
      return EXIT.unresolved;
    }
    if (opts.dryRun) return EXIT.ok;
    const name = opts.copy ?? path.posix.basename(plan.targets[0]);
    const res = await writeArchive(plan, { name, force: opts.force, gzipLevel: opts.gzipLevel, signal: abort.signal, onProgress: bar.update });
    bar.done();
    process.stderr.write(`wrote ${res.path} (${formatBytes(res.bytes)}; ${plan.entries.length} members, ${formatBytes(plan.totals.bytes)} uncompressed)\n`);
    return EXIT.ok;
  } finally {
    bar.done();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

function reportUnresolved(plan: Plan): void {
  process.stderr.write(`error: ${plan.unresolved.length} unresolved librar${plan.unresolved.length === 1 ? 'y' : 'ies'}; nothing written (use --allow-missing to write anyway)\n`);
  for (const u of plan.unresolved) process.stderr.write(`  ${u.soname} needed by ${u.neededBy}\n`);
}

// A closed pipe (`| head`) ends the run quietly; any other stdout failure (a full disk) is
// an I/O error with its exit code, never an unhandled-error stack trace.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  process.stderr.write(`container-compositor: cannot write the output: ${e.code ?? e.message}\n`);
  process.exit(3);
});

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (e: unknown) => {
    if (e instanceof ComposeError) {
      process.stderr.write(`container-compositor: ${e.message}\n`);
      if (e.kind === 'usage' && !/see --help/.test(e.message)) process.stderr.write('(see --help)\n');
      process.exitCode = EXIT[e.kind];
    } else {
      process.stderr.write(`container-compositor: internal error: ${e instanceof Error ? (process.env.CC_DEBUG ? e.stack : e.message) : String(e)}\n`);
      process.exitCode = 3;
    }
  },
);
