// Small display helpers shared by the host-side views.

export { formatBytes } from '../engine/units';

export function basenameOf(rootPath: string): string {
  const parts = rootPath.split('/').filter(Boolean);
  return parts[parts.length - 1] ?? 'archive';
}
