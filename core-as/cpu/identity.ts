// What this CPU says it is (CPUID, SDM Vol. 2A "CPUID"), kept to exactly
// what is implemented: a P6-family core with the x87 FPU, FXSAVE/FXRSTOR,
// MMX and SSE through SSE4.2 (the x86-64-v2 level, without long mode).

/** Family 6, model 3, stepping 3 (a Pentium II-class P6). Also EDX at reset. */
export const CPU_SIGNATURE: u32 = 0x00000633;

// CPUID.1:EDX feature bits.
export const FEAT_FPU: u32 = 1 << 0;
export const FEAT_VME: u32 = 1 << 1;
export const FEAT_DE: u32 = 1 << 2;
export const FEAT_PSE: u32 = 1 << 3;
export const FEAT_TSC: u32 = 1 << 4;
export const FEAT_MSR: u32 = 1 << 5;
export const FEAT_PAE: u32 = 1 << 6;
export const FEAT_CX8: u32 = 1 << 8;
export const FEAT_APIC: u32 = 1 << 9;
export const FEAT_SEP: u32 = 1 << 11;
export const FEAT_PGE: u32 = 1 << 13;
export const FEAT_CMOV: u32 = 1 << 15;
export const FEAT_MMX: u32 = 1 << 23;
export const FEAT_FXSR: u32 = 1 << 24;
export const FEAT_SSE: u32 = 1 << 25;
export const FEAT_SSE2: u32 = 1 << 26;

// CPUID.1:ECX feature bits.
export const FEAT2_SSE3: u32 = 1 << 0;
export const FEAT2_SSSE3: u32 = 1 << 9;
export const FEAT2_SSE41: u32 = 1 << 19;
export const FEAT2_SSE42: u32 = 1 << 20;
export const FEAT2_POPCNT: u32 = 1 << 23;

/** CPUID.1:EDX as reported. */
export const CPUID1_EDX: u32 =
  FEAT_FPU | FEAT_PSE | FEAT_TSC | FEAT_MSR | FEAT_PAE | FEAT_CX8 | FEAT_APIC | FEAT_SEP | FEAT_PGE | FEAT_CMOV |
  FEAT_MMX | FEAT_FXSR | FEAT_SSE | FEAT_SSE2;
/** CPUID.1:ECX as reported: the x86-64-v2 SIMD level (SSE3 to SSE4.2, POPCNT). */
export const CPUID1_ECX: u32 = FEAT2_SSE3 | FEAT2_SSSE3 | FEAT2_SSE41 | FEAT2_SSE42 | FEAT2_POPCNT;
/** CPUID.80000001h:EDX bit 20: execute-disable (NX) with PAE paging. */
export const CPUID_EXT1_EDX_NX: u32 = 1 << 20;
