// What this CPU says it is (CPUID, SDM Vol. 2A "CPUID"), kept to exactly
// what is implemented: a P6-family core with the x87 FPU and FXSAVE/FXRSTOR
// (MMX and SSE set their bits when they land).

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
export const FEAT_SEP: u32 = 1 << 11;
export const FEAT_PGE: u32 = 1 << 13;
export const FEAT_CMOV: u32 = 1 << 15;
export const FEAT_FXSR: u32 = 1 << 24;

/** CPUID.1:EDX as reported. */
export const CPUID1_EDX: u32 = FEAT_FPU | FEAT_FXSR | FEAT_PSE | FEAT_TSC | FEAT_MSR | FEAT_PAE | FEAT_CX8 | FEAT_SEP | FEAT_PGE | FEAT_CMOV;
/** CPUID.80000001h:EDX bit 20: execute-disable (NX) with PAE paging. */
export const CPUID_EXT1_EDX_NX: u32 = 1 << 20;
