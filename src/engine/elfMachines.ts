// e_machine values we name in descriptions, plus the per-architecture facts the loader
// emulation needs: Debian multiarch triplets and the $PLATFORM string.

interface MachineFacts { name: string; triplets64?: string[]; triplets32?: string[]; platform?: string }

const MACHINES: Record<number, MachineFacts> = {
  2: { name: 'SPARC', triplets32: ['sparc-linux-gnu'], platform: 'sparc' },
  3: { name: 'Intel 80386', triplets32: ['i386-linux-gnu'], platform: 'i686' },
  8: { name: 'MIPS', triplets32: ['mipsel-linux-gnu', 'mips-linux-gnu'], triplets64: ['mips64el-linux-gnuabi64', 'mips64-linux-gnuabi64'], platform: 'mips' },
  20: { name: 'PowerPC', triplets32: ['powerpc-linux-gnu'], platform: 'ppc' },
  21: { name: 'PowerPC64', triplets64: ['powerpc64le-linux-gnu', 'powerpc64-linux-gnu'], platform: 'power8' },
  22: { name: 'IBM S/390', triplets64: ['s390x-linux-gnu'], platform: 'z13' },
  40: { name: 'ARM', triplets32: ['arm-linux-gnueabihf', 'arm-linux-gnueabi'], platform: 'v7l' },
  43: { name: 'SPARC V9', triplets64: ['sparc64-linux-gnu'], platform: 'sparc64' },
  62: { name: 'x86-64', triplets64: ['x86_64-linux-gnu'], triplets32: ['x86_64-linux-gnux32'], platform: 'x86_64' },
  183: { name: 'ARM aarch64', triplets64: ['aarch64-linux-gnu'], platform: 'aarch64' },
  243: { name: 'RISC-V', triplets64: ['riscv64-linux-gnu'], platform: 'riscv64' },
  258: { name: 'LoongArch', triplets64: ['loongarch64-linux-gnu'], platform: 'loongarch64' },
};

export function machineName(machine: number): string {
  return MACHINES[machine]?.name ?? `machine ${machine}`;
}

export function multiarchTriplets(machine: number, elfClass: 32 | 64): string[] {
  const m = MACHINES[machine];
  return (elfClass === 64 ? m?.triplets64 : m?.triplets32) ?? [];
}

export function platformString(machine: number): string {
  return MACHINES[machine]?.platform ?? '';
}
