// Dependency-free values shared by the engine, the CLI, the extension host and the webview
// (which may import this file, but never the engine's index, which pulls in Node modules).

export const AUTODEPS_LEVELS = ['none', 'default', 'tight', 'free', 'clean'] as const;
export type AutodepsLevel = (typeof AUTODEPS_LEVELS)[number];

/** Binary units, one decimal below 10 ("3.5 MiB", "235 MiB"). */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) { v /= 1024; u++; }
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[u]}`;
}
