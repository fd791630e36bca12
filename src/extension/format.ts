// Small display helpers shared by the host-side views.

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) { v /= 1024; u++; }
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[u]}`;
}

export function basenameOf(rootPath: string): string {
  const parts = rootPath.split('/').filter(Boolean);
  return parts[parts.length - 1] ?? 'archive';
}
