// Exceptions raised while executing an instruction (SDM Vol. 3A ch. 6).
//
// AssemblyScript has no cheap unwinding, so raising an exception records it
// here and returns; every caller of something that may fault checks `faulted`
// and returns at once without changing architectural state. The interpreter
// loop then restores EIP to the instruction's start and delivers the
// exception, which makes every fault restartable.

export const EXC_DE: u32 = 0;
export const EXC_DB: u32 = 1;
export const EXC_NMI: u32 = 2;
export const EXC_BP: u32 = 3;
export const EXC_OF: u32 = 4;
export const EXC_BR: u32 = 5;
export const EXC_UD: u32 = 6;
export const EXC_NM: u32 = 7;
export const EXC_DF: u32 = 8;
export const EXC_TS: u32 = 10;
export const EXC_NP: u32 = 11;
export const EXC_SS: u32 = 12;
export const EXC_GP: u32 = 13;
export const EXC_PF: u32 = 14;
export const EXC_MF: u32 = 16;
export const EXC_AC: u32 = 17;
export const EXC_MC: u32 = 18;
export const EXC_XM: u32 = 19;

/** Page-fault error code bits (SDM Vol. 3A §4.7). */
export const PF_P: u32 = 1 << 0;
export const PF_W: u32 = 1 << 1;
export const PF_U: u32 = 1 << 2;
export const PF_RSVD: u32 = 1 << 3;
export const PF_I: u32 = 1 << 4;

/** Set when the current instruction raised an exception that is not yet delivered. */
export let faulted: bool = false;
export let faultVector: u32 = 0;
export let faultErrorCode: u32 = 0;
export let faultHasErrorCode: bool = false;

/** Raise exception `vector` with an error code (vectors 8, 10-14, 17 push one). */
export function raiseFaultWithCode(vector: u32, code: u32): void {
  if (faulted) return; // the first fault of an instruction wins
  faulted = true;
  faultVector = vector;
  faultErrorCode = code;
  faultHasErrorCode = true;
}

export function raiseFault(vector: u32): void {
  if (faulted) return;
  faulted = true;
  faultVector = vector;
  faultErrorCode = 0;
  faultHasErrorCode = false;
}

@inline export function raiseUD(): void {
  raiseFault(EXC_UD);
}
@inline export function raiseGP(code: u32): void {
  raiseFaultWithCode(EXC_GP, code);
}
@inline export function raiseSS(code: u32): void {
  raiseFaultWithCode(EXC_SS, code);
}
@inline export function raiseNP(code: u32): void {
  raiseFaultWithCode(EXC_NP, code);
}
@inline export function raiseTS(code: u32): void {
  raiseFaultWithCode(EXC_TS, code);
}
@inline export function raiseDE(): void {
  raiseFault(EXC_DE);
}

/** Forget the pending exception (the loop took it). */
export function clearFault(): void {
  faulted = false;
}

/** Whether `vector` pushes an error code when delivered as an exception. */
export function exceptionHasErrorCode(vector: u32): bool {
  return vector == EXC_DF || (vector >= EXC_TS && vector <= EXC_PF) || vector == EXC_AC;
}
