// The one opcode table of tabvm (DESIGN §4, CONVENTIONS "one source of truth").
//
// Every instruction the CPU knows is a row here. From it come:
//   - the decoder and dispatcher of the interpreter (core-as/gen/generate.mjs
//     writes core-as/cpu/generated/dispatch.ts),
//   - the disassembler (host/disasm.ts),
//   - the random instruction generator of the differential tests,
//   - (later) the JIT's block discovery and translation.
//
// A row:
//   op     opcode: 0x00-0xff one byte; 0x0f00|b two bytes; 0x0f3800|b, 0x0f3a00|b three bytes
//   reg    ModRM.reg selecting this row in a group opcode (0-7)
//   mod    'mem' (memory operand only, register form #UD) or 'reg' (register form only)
//   rm     ModRM.rm selecting this row among register forms (mod 'reg'; x87 D9 E0 FCHS, ...)
//   pfx    mandatory prefix selecting this row (0xf3, 0xf2, 0x66)
//   mn     mnemonic (Intel syntax); `mn16`/`mn32` when the name depends on operand size
//   ops    operands, Intel SDM Vol. 2 App. A notation: E G M R S C D (ModRM), I J O A (immediates,
//          offsets, far pointers; 'Ibs' = imm8 sign-extended), X Y (string operands), fixed
//          registers (AL, CL, DX, eAX, ES, ...), 'rNs' = general register N of size s (the
//          register is in the opcode's low bits), '1'; size letters b w d v z p q a s
//   exec   the AssemblyScript call the dispatcher makes after decoding. Inside it,
//          OS is the operand size (16/32) and AS the address size (16/32); the decoded
//          operands are in the globals of core-as/cpu/decode.ts (imm, imm2, modReg, ...).
//   lock   LOCK is legal (with a memory destination)
//   f      flags written; u: flags the SDM leaves undefined; r: flags read ('oszapcd' letters)
//   user   runs in ring 3 under Linux and can be compared with the host CPU (default true,
//          false for system, I/O, segment-register and control-transfer rows)
//   cf     control transfer: 'jmp' 'jcc' 'call' 'ret' 'loop' 'int' 'iret' 'far' 'halt' 'sys'
//          (ends a basic block for the JIT)
//   cpu    the first CPU that has it ('8086', '186', '286', '386', '486', 'P5', 'P6')

/** @typedef {{ op: number, reg?: number, mod?: 'mem'|'reg', rm?: number, pfx?: number, mn: string, mn16?: string, mn32?: string, ops: string, exec: string, lock?: boolean, f?: string, u?: string, r?: string, user?: boolean, cf?: string, cpu?: string }} OpcodeRow */

const ALU = ['add', 'or', 'adc', 'sbb', 'and', 'sub', 'xor', 'cmp'];
const ALU_CONST = ['ALU_ADD', 'ALU_OR', 'ALU_ADC', 'ALU_SBB', 'ALU_AND', 'ALU_SUB', 'ALU_XOR', 'ALU_CMP'];
const ALU_FLAGS = (i) => ({ f: 'oszapc', u: i === 1 || i === 4 || i === 6 ? 'a' : '', r: i === 2 || i === 3 ? 'c' : '' });
const SHIFT = ['rol', 'ror', 'rcl', 'rcr', 'shl', 'shr', 'sal', 'sar'];
const SHIFT_CONST = ['SHIFT_ROL', 'SHIFT_ROR', 'SHIFT_RCL', 'SHIFT_RCR', 'SHIFT_SHL', 'SHIFT_SHR', 'SHIFT_SHL', 'SHIFT_SAR'];
// Rotates write only CF and OF; shifts write all but AF (undefined for a non-zero count).
// OF is undefined for counts other than 1 (handled per mnemonic by the tests).
const SHIFT_FLAGS = (i) => (i < 4 ? { f: 'oc', u: '', r: i === 2 || i === 3 ? 'c' : '' } : { f: 'oszapc', u: 'a' });
const CC = ['o', 'no', 'b', 'ae', 'e', 'ne', 'be', 'a', 's', 'ns', 'p', 'np', 'l', 'ge', 'le', 'g'];
const CC_FLAGS = ['o', 'o', 'c', 'c', 'z', 'z', 'cz', 'cz', 's', 's', 'p', 'p', 'so', 'so', 'szo', 'szo'];

/** @type {OpcodeRow[]} */
const rows = [];
const add = (row) => rows.push(row);
/**
 * One row per table entry and form: each form maps an entry to a row (or to
 * a falsy value to skip it). The SIMD tables use it for instructions that
 * exist in several encodings (MMX and XMM; the four SSE types).
 */
const addForms = (table, forms) => {
  for (const entry of table) {
    for (const form of forms) {
      const row = form(...entry);
      if (row) add(row);
    }
  }
};

// ---- 00-3f: ALU ops, segment push/pop, BCD ----
for (let i = 0; i < 8; i++) {
  const base = i * 8;
  const mn = ALU[i];
  const k = ALU_CONST[i];
  const fl = ALU_FLAGS(i);
  const lock = i !== 7;
  add({ op: base + 0, mn, ops: 'Eb,Gb', exec: `aluEG(${k}, 8)`, lock, ...fl });
  add({ op: base + 1, mn, ops: 'Ev,Gv', exec: `aluEG(${k}, OS)`, lock, ...fl });
  add({ op: base + 2, mn, ops: 'Gb,Eb', exec: `aluGE(${k}, 8)`, ...fl });
  add({ op: base + 3, mn, ops: 'Gv,Ev', exec: `aluGE(${k}, OS)`, ...fl });
  add({ op: base + 4, mn, ops: 'AL,Ib', exec: `aluAI(${k}, 8)`, ...fl });
  add({ op: base + 5, mn, ops: 'eAX,Iz', exec: `aluAI(${k}, OS)`, ...fl });
}
add({ op: 0x06, mn: 'push', ops: 'ES', exec: 'pushSeg(SEG_ES, OS)', user: false });
add({ op: 0x07, mn: 'pop', ops: 'ES', exec: 'popSeg(SEG_ES, OS)', user: false });
add({ op: 0x0e, mn: 'push', ops: 'CS', exec: 'pushSeg(SEG_CS, OS)', user: false });
add({ op: 0x16, mn: 'push', ops: 'SS', exec: 'pushSeg(SEG_SS, OS)', user: false });
add({ op: 0x17, mn: 'pop', ops: 'SS', exec: 'popSeg(SEG_SS, OS)', user: false });
add({ op: 0x1e, mn: 'push', ops: 'DS', exec: 'pushSeg(SEG_DS, OS)', user: false });
add({ op: 0x1f, mn: 'pop', ops: 'DS', exec: 'popSeg(SEG_DS, OS)', user: false });
add({ op: 0x27, mn: 'daa', ops: '', exec: 'daa()', f: 'oszapc', u: 'o', r: 'ac' });
add({ op: 0x2f, mn: 'das', ops: '', exec: 'das()', f: 'oszapc', u: 'o', r: 'ac' });
add({ op: 0x37, mn: 'aaa', ops: '', exec: 'aaa()', f: 'oszapc', u: 'oszp', r: 'a' });
add({ op: 0x3f, mn: 'aas', ops: '', exec: 'aas()', f: 'oszapc', u: 'oszp', r: 'a' });

// ---- 40-6f ----
for (let r = 0; r < 8; r++) {
  add({ op: 0x40 + r, mn: 'inc', ops: `r${r}v`, exec: `incReg(${r}, OS)`, f: 'oszap' });
  add({ op: 0x48 + r, mn: 'dec', ops: `r${r}v`, exec: `decReg(${r}, OS)`, f: 'oszap' });
  add({ op: 0x50 + r, mn: 'push', ops: `r${r}v`, exec: `pushReg(${r}, OS)` });
  add({ op: 0x58 + r, mn: 'pop', ops: `r${r}v`, exec: `popReg(${r}, OS)` });
}
add({ op: 0x60, mn: 'pusha', mn32: 'pushad', ops: '', exec: 'pusha(OS)', cpu: '186' });
add({ op: 0x61, mn: 'popa', mn32: 'popad', ops: '', exec: 'popa(OS)', cpu: '186' });
add({ op: 0x62, mod: 'mem', mn: 'bound', ops: 'Gv,Ma', exec: 'bound(OS)', cpu: '186' });
add({ op: 0x63, mn: 'arpl', ops: 'Ew,Gw', exec: 'arpl()', f: 'z', user: false, cpu: '286' });
add({ op: 0x68, mn: 'push', ops: 'Iz', exec: 'pushImm(OS)', cpu: '186' });
add({ op: 0x69, mn: 'imul', ops: 'Gv,Ev,Iz', exec: 'imul3(OS)', f: 'oszapc', u: 'szap', cpu: '186' });
add({ op: 0x6a, mn: 'push', ops: 'Ibs', exec: 'pushImm(OS)', cpu: '186' });
add({ op: 0x6b, mn: 'imul', ops: 'Gv,Ev,Ibs', exec: 'imul3(OS)', f: 'oszapc', u: 'szap', cpu: '186' });
add({ op: 0x6c, mn: 'insb', ops: 'Yb,DX', exec: 'ins(8)', r: 'd', user: false, cpu: '186' });
add({ op: 0x6d, mn: 'insw', mn32: 'insd', ops: 'Yz,DX', exec: 'ins(OS)', r: 'd', user: false, cpu: '186' });
add({ op: 0x6e, mn: 'outsb', ops: 'DX,Xb', exec: 'outs(8)', r: 'd', user: false, cpu: '186' });
add({ op: 0x6f, mn: 'outsw', mn32: 'outsd', ops: 'DX,Xz', exec: 'outs(OS)', r: 'd', user: false, cpu: '186' });
for (let c = 0; c < 16; c++) {
  add({ op: 0x70 + c, mn: 'j' + CC[c], ops: 'Jb', exec: `jcc(${c})`, r: CC_FLAGS[c], user: false, cf: 'jcc' });
}

// ---- 80-8f ----
for (let i = 0; i < 8; i++) {
  const k = ALU_CONST[i];
  const fl = ALU_FLAGS(i);
  const lock = i !== 7;
  add({ op: 0x80, reg: i, mn: ALU[i], ops: 'Eb,Ib', exec: `aluEI(${k}, 8)`, lock, ...fl });
  add({ op: 0x81, reg: i, mn: ALU[i], ops: 'Ev,Iz', exec: `aluEI(${k}, OS)`, lock, ...fl });
  // 0x82 is an alias of 0x80 outside 64-bit mode.
  add({ op: 0x82, reg: i, mn: ALU[i], ops: 'Eb,Ib', exec: `aluEI(${k}, 8)`, lock, ...fl });
  add({ op: 0x83, reg: i, mn: ALU[i], ops: 'Ev,Ibs', exec: `aluEI(${k}, OS)`, lock, ...fl });
}
add({ op: 0x84, mn: 'test', ops: 'Eb,Gb', exec: 'testEG(8)', f: 'oszapc', u: 'a' });
add({ op: 0x85, mn: 'test', ops: 'Ev,Gv', exec: 'testEG(OS)', f: 'oszapc', u: 'a' });
add({ op: 0x86, mn: 'xchg', ops: 'Eb,Gb', exec: 'xchgEG(8)', lock: true });
add({ op: 0x87, mn: 'xchg', ops: 'Ev,Gv', exec: 'xchgEG(OS)', lock: true });
add({ op: 0x88, mn: 'mov', ops: 'Eb,Gb', exec: 'movEG(8)' });
add({ op: 0x89, mn: 'mov', ops: 'Ev,Gv', exec: 'movEG(OS)' });
add({ op: 0x8a, mn: 'mov', ops: 'Gb,Eb', exec: 'movGE(8)' });
add({ op: 0x8b, mn: 'mov', ops: 'Gv,Ev', exec: 'movGE(OS)' });
add({ op: 0x8c, mn: 'mov', ops: 'Ev,Sw', exec: 'movFromSeg(OS)', user: false });
add({ op: 0x8d, mod: 'mem', mn: 'lea', ops: 'Gv,M', exec: 'lea(OS)' });
add({ op: 0x8e, mn: 'mov', ops: 'Sw,Ew', exec: 'movToSeg()', user: false });
add({ op: 0x8f, reg: 0, mn: 'pop', ops: 'Ev', exec: 'popE(OS)' });

// ---- 90-9f ----
add({ op: 0x90, mn: 'nop', ops: '', exec: 'nop()' });
add({ op: 0x90, pfx: 0xf3, mn: 'pause', ops: '', exec: 'nop()', cpu: 'P5' });
for (let r = 1; r < 8; r++) add({ op: 0x90 + r, mn: 'xchg', ops: `eAX,r${r}v`, exec: `xchgAReg(${r}, OS)` });
add({ op: 0x98, mn: 'cbw', mn32: 'cwde', ops: '', exec: 'cbw(OS)' });
add({ op: 0x99, mn: 'cwd', mn32: 'cdq', ops: '', exec: 'cwd(OS)' });
add({ op: 0x9a, mn: 'call', ops: 'Ap', exec: 'callFarImm(OS)', user: false, cf: 'far' });
add({ op: 0x9b, mn: 'fwait', ops: '', exec: 'x87Fwait()', user: false });
add({ op: 0x9c, mn: 'pushf', mn32: 'pushfd', ops: '', exec: 'pushf(OS)', r: 'oszapcd' });
add({ op: 0x9d, mn: 'popf', mn32: 'popfd', ops: '', exec: 'popf(OS)', f: 'oszapcd', user: false, cf: 'sys' });
add({ op: 0x9e, mn: 'sahf', ops: '', exec: 'sahf()', f: 'szapc' });
add({ op: 0x9f, mn: 'lahf', ops: '', exec: 'lahf()', r: 'szapc' });

// ---- a0-af ----
add({ op: 0xa0, mn: 'mov', ops: 'AL,Ob', exec: 'movAMoffs(8)' });
add({ op: 0xa1, mn: 'mov', ops: 'eAX,Ov', exec: 'movAMoffs(OS)' });
add({ op: 0xa2, mn: 'mov', ops: 'Ob,AL', exec: 'movMoffsA(8)' });
add({ op: 0xa3, mn: 'mov', ops: 'Ov,eAX', exec: 'movMoffsA(OS)' });
add({ op: 0xa4, mn: 'movsb', ops: 'Yb,Xb', exec: 'movs(8)', r: 'd' });
add({ op: 0xa5, mn: 'movsw', mn32: 'movsd', ops: 'Yv,Xv', exec: 'movs(OS)', r: 'd' });
add({ op: 0xa6, mn: 'cmpsb', ops: 'Xb,Yb', exec: 'cmps(8)', f: 'oszapc', r: 'd' });
add({ op: 0xa7, mn: 'cmpsw', mn32: 'cmpsd', ops: 'Xv,Yv', exec: 'cmps(OS)', f: 'oszapc', r: 'd' });
add({ op: 0xa8, mn: 'test', ops: 'AL,Ib', exec: 'testAI(8)', f: 'oszapc', u: 'a' });
add({ op: 0xa9, mn: 'test', ops: 'eAX,Iz', exec: 'testAI(OS)', f: 'oszapc', u: 'a' });
add({ op: 0xaa, mn: 'stosb', ops: 'Yb,AL', exec: 'stos(8)', r: 'd' });
add({ op: 0xab, mn: 'stosw', mn32: 'stosd', ops: 'Yv,eAX', exec: 'stos(OS)', r: 'd' });
add({ op: 0xac, mn: 'lodsb', ops: 'AL,Xb', exec: 'lods(8)', r: 'd' });
add({ op: 0xad, mn: 'lodsw', mn32: 'lodsd', ops: 'eAX,Xv', exec: 'lods(OS)', r: 'd' });
add({ op: 0xae, mn: 'scasb', ops: 'AL,Yb', exec: 'scas(8)', f: 'oszapc', r: 'd' });
add({ op: 0xaf, mn: 'scasw', mn32: 'scasd', ops: 'eAX,Yv', exec: 'scas(OS)', f: 'oszapc', r: 'd' });

// ---- b0-bf ----
for (let r = 0; r < 8; r++) {
  add({ op: 0xb0 + r, mn: 'mov', ops: `r${r}b,Ib`, exec: `movRegImm(${r}, 8)` });
  add({ op: 0xb8 + r, mn: 'mov', ops: `r${r}v,Iz`, exec: `movRegImm(${r}, OS)` });
}

// ---- c0-cf ----
for (let i = 0; i < 8; i++) {
  const k = SHIFT_CONST[i];
  const fl = SHIFT_FLAGS(i);
  add({ op: 0xc0, reg: i, mn: SHIFT[i], ops: 'Eb,Ib', exec: `shift(${k}, 8, imm)`, ...fl, cpu: '186' });
  add({ op: 0xc1, reg: i, mn: SHIFT[i], ops: 'Ev,Ib', exec: `shift(${k}, OS, imm)`, ...fl, cpu: '186' });
  add({ op: 0xd0, reg: i, mn: SHIFT[i], ops: 'Eb,1', exec: `shift(${k}, 8, 1)`, ...fl });
  add({ op: 0xd1, reg: i, mn: SHIFT[i], ops: 'Ev,1', exec: `shift(${k}, OS, 1)`, ...fl });
  add({ op: 0xd2, reg: i, mn: SHIFT[i], ops: 'Eb,CL', exec: `shift(${k}, 8, reg8(REG_ECX))`, ...fl });
  add({ op: 0xd3, reg: i, mn: SHIFT[i], ops: 'Ev,CL', exec: `shift(${k}, OS, reg8(REG_ECX))`, ...fl });
}
add({ op: 0xc2, mn: 'ret', ops: 'Iw', exec: 'retNear(OS, imm)', user: false, cf: 'ret' });
add({ op: 0xc3, mn: 'ret', ops: '', exec: 'retNear(OS, 0)', user: false, cf: 'ret' });
add({ op: 0xc4, mod: 'mem', mn: 'les', ops: 'Gz,Mp', exec: 'loadFarPointer(SEG_ES, OS)', user: false });
add({ op: 0xc5, mod: 'mem', mn: 'lds', ops: 'Gz,Mp', exec: 'loadFarPointer(SEG_DS, OS)', user: false });
add({ op: 0xc6, reg: 0, mn: 'mov', ops: 'Eb,Ib', exec: 'movEI(8)' });
add({ op: 0xc7, reg: 0, mn: 'mov', ops: 'Ev,Iz', exec: 'movEI(OS)' });
add({ op: 0xc8, mn: 'enter', ops: 'Iw,Ib', exec: 'enter(OS)', cpu: '186' });
add({ op: 0xc9, mn: 'leave', ops: '', exec: 'leave(OS)', cpu: '186' });
add({ op: 0xca, mn: 'retf', ops: 'Iw', exec: 'retFar(OS, imm)', user: false, cf: 'far' });
add({ op: 0xcb, mn: 'retf', ops: '', exec: 'retFar(OS, 0)', user: false, cf: 'far' });
add({ op: 0xcc, mn: 'int3', ops: '', exec: 'int3()', user: false, cf: 'int' });
add({ op: 0xcd, mn: 'int', ops: 'Ib', exec: 'intN()', user: false, cf: 'int' });
add({ op: 0xce, mn: 'into', ops: '', exec: 'into()', r: 'o', user: false, cf: 'int' });
add({ op: 0xcf, mn: 'iret', mn32: 'iretd', ops: '', exec: 'iret(OS)', f: 'oszapcd', user: false, cf: 'iret' });

// ---- d0-df ----
add({ op: 0xd4, mn: 'aam', ops: 'Ib', exec: 'aam()', f: 'oszapc', u: 'oac' });
add({ op: 0xd5, mn: 'aad', ops: 'Ib', exec: 'aad()', f: 'oszapc', u: 'oac' });
// SALC: undocumented until recently, but every P6 has it (AL = CF ? 0xff : 0).
add({ op: 0xd6, mn: 'salc', ops: '', exec: 'salc()', r: 'c' });
add({ op: 0xd7, mn: 'xlat', ops: '', exec: 'xlat()' });
addX87Rows();

// ---- e0-ff ----
add({ op: 0xe0, mn: 'loopne', ops: 'Jb', exec: 'loop(LOOP_NE)', r: 'z', user: false, cf: 'loop' });
add({ op: 0xe1, mn: 'loope', ops: 'Jb', exec: 'loop(LOOP_E)', r: 'z', user: false, cf: 'loop' });
add({ op: 0xe2, mn: 'loop', ops: 'Jb', exec: 'loop(LOOP_ALWAYS)', user: false, cf: 'loop' });
add({ op: 0xe3, mn: 'jcxz', mn32: 'jecxz', ops: 'Jb', exec: 'jcxz()', user: false, cf: 'jcc' });
add({ op: 0xe4, mn: 'in', ops: 'AL,Ib', exec: 'inPort(8, imm)', user: false });
add({ op: 0xe5, mn: 'in', ops: 'eAX,Ib', exec: 'inPort(OS, imm)', user: false });
add({ op: 0xe6, mn: 'out', ops: 'Ib,AL', exec: 'outPort(8, imm)', user: false });
add({ op: 0xe7, mn: 'out', ops: 'Ib,eAX', exec: 'outPort(OS, imm)', user: false });
add({ op: 0xe8, mn: 'call', ops: 'Jz', exec: 'callNear(OS)', user: false, cf: 'call' });
add({ op: 0xe9, mn: 'jmp', ops: 'Jz', exec: 'jmpNear(OS)', user: false, cf: 'jmp' });
add({ op: 0xea, mn: 'jmp', ops: 'Ap', exec: 'jmpFarImm(OS)', user: false, cf: 'far' });
add({ op: 0xeb, mn: 'jmp', ops: 'Jb', exec: 'jmpNear(OS)', user: false, cf: 'jmp' });
add({ op: 0xec, mn: 'in', ops: 'AL,DX', exec: 'inPort(8, reg16(REG_EDX))', user: false });
add({ op: 0xed, mn: 'in', ops: 'eAX,DX', exec: 'inPort(OS, reg16(REG_EDX))', user: false });
add({ op: 0xee, mn: 'out', ops: 'DX,AL', exec: 'outPort(8, reg16(REG_EDX))', user: false });
add({ op: 0xef, mn: 'out', ops: 'DX,eAX', exec: 'outPort(OS, reg16(REG_EDX))', user: false });
add({ op: 0xf1, mn: 'int1', ops: '', exec: 'int1()', user: false, cf: 'int', cpu: '386' });
add({ op: 0xf4, mn: 'hlt', ops: '', exec: 'hlt()', user: false, cf: 'halt' });
add({ op: 0xf5, mn: 'cmc', ops: '', exec: 'cmc()', f: 'c', r: 'c' });
add({ op: 0xf6, reg: 0, mn: 'test', ops: 'Eb,Ib', exec: 'testEI(8)', f: 'oszapc', u: 'a' });
add({ op: 0xf6, reg: 1, mn: 'test', ops: 'Eb,Ib', exec: 'testEI(8)', f: 'oszapc', u: 'a' });
add({ op: 0xf6, reg: 2, mn: 'not', ops: 'Eb', exec: 'notE(8)', lock: true });
add({ op: 0xf6, reg: 3, mn: 'neg', ops: 'Eb', exec: 'negE(8)', lock: true, f: 'oszapc' });
add({ op: 0xf6, reg: 4, mn: 'mul', ops: 'Eb', exec: 'mul(8)', f: 'oszapc', u: 'szap' });
add({ op: 0xf6, reg: 5, mn: 'imul', ops: 'Eb', exec: 'imul1(8)', f: 'oszapc', u: 'szap' });
add({ op: 0xf6, reg: 6, mn: 'div', ops: 'Eb', exec: 'div(8)', f: 'oszapc', u: 'oszapc' });
add({ op: 0xf6, reg: 7, mn: 'idiv', ops: 'Eb', exec: 'idiv(8)', f: 'oszapc', u: 'oszapc' });
add({ op: 0xf7, reg: 0, mn: 'test', ops: 'Ev,Iz', exec: 'testEI(OS)', f: 'oszapc', u: 'a' });
add({ op: 0xf7, reg: 1, mn: 'test', ops: 'Ev,Iz', exec: 'testEI(OS)', f: 'oszapc', u: 'a' });
add({ op: 0xf7, reg: 2, mn: 'not', ops: 'Ev', exec: 'notE(OS)', lock: true });
add({ op: 0xf7, reg: 3, mn: 'neg', ops: 'Ev', exec: 'negE(OS)', lock: true, f: 'oszapc' });
add({ op: 0xf7, reg: 4, mn: 'mul', ops: 'Ev', exec: 'mul(OS)', f: 'oszapc', u: 'szap' });
add({ op: 0xf7, reg: 5, mn: 'imul', ops: 'Ev', exec: 'imul1(OS)', f: 'oszapc', u: 'szap' });
add({ op: 0xf7, reg: 6, mn: 'div', ops: 'Ev', exec: 'div(OS)', f: 'oszapc', u: 'oszapc' });
add({ op: 0xf7, reg: 7, mn: 'idiv', ops: 'Ev', exec: 'idiv(OS)', f: 'oszapc', u: 'oszapc' });
add({ op: 0xf8, mn: 'clc', ops: '', exec: 'clc()', f: 'c' });
add({ op: 0xf9, mn: 'stc', ops: '', exec: 'stc()', f: 'c' });
add({ op: 0xfa, mn: 'cli', ops: '', exec: 'cli()', user: false });
add({ op: 0xfb, mn: 'sti', ops: '', exec: 'sti()', user: false, cf: 'sys' });
add({ op: 0xfc, mn: 'cld', ops: '', exec: 'cld()', f: 'd' });
add({ op: 0xfd, mn: 'std', ops: '', exec: 'std()', f: 'd' });
add({ op: 0xfe, reg: 0, mn: 'inc', ops: 'Eb', exec: 'incE(8)', lock: true, f: 'oszap' });
add({ op: 0xfe, reg: 1, mn: 'dec', ops: 'Eb', exec: 'decE(8)', lock: true, f: 'oszap' });
add({ op: 0xff, reg: 0, mn: 'inc', ops: 'Ev', exec: 'incE(OS)', lock: true, f: 'oszap' });
add({ op: 0xff, reg: 1, mn: 'dec', ops: 'Ev', exec: 'decE(OS)', lock: true, f: 'oszap' });
add({ op: 0xff, reg: 2, mn: 'call', ops: 'Ev', exec: 'callNearE(OS)', user: false, cf: 'call' });
add({ op: 0xff, reg: 3, mod: 'mem', mn: 'call', ops: 'Mp', exec: 'callFarE(OS)', user: false, cf: 'far' });
add({ op: 0xff, reg: 4, mn: 'jmp', ops: 'Ev', exec: 'jmpNearE(OS)', user: false, cf: 'jmp' });
add({ op: 0xff, reg: 5, mod: 'mem', mn: 'jmp', ops: 'Mp', exec: 'jmpFarE(OS)', user: false, cf: 'far' });
add({ op: 0xff, reg: 6, mn: 'push', ops: 'Ev', exec: 'pushE(OS)' });

// ---- 0f xx: system ----
const SYS = { user: false, cpu: '286' };
add({ op: 0x0f00, reg: 0, mn: 'sldt', ops: 'Ew', exec: 'sldt(OS)', ...SYS });
add({ op: 0x0f00, reg: 1, mn: 'str', ops: 'Ew', exec: 'str(OS)', ...SYS });
add({ op: 0x0f00, reg: 2, mn: 'lldt', ops: 'Ew', exec: 'lldt()', ...SYS });
add({ op: 0x0f00, reg: 3, mn: 'ltr', ops: 'Ew', exec: 'ltr()', ...SYS });
add({ op: 0x0f00, reg: 4, mn: 'verr', ops: 'Ew', exec: 'verr()', f: 'z', ...SYS });
add({ op: 0x0f00, reg: 5, mn: 'verw', ops: 'Ew', exec: 'verw()', f: 'z', ...SYS });
add({ op: 0x0f01, reg: 0, mod: 'mem', mn: 'sgdt', ops: 'Ms', exec: 'sgdt(OS)', ...SYS });
add({ op: 0x0f01, reg: 1, mod: 'mem', mn: 'sidt', ops: 'Ms', exec: 'sidt(OS)', ...SYS });
add({ op: 0x0f01, reg: 2, mod: 'mem', mn: 'lgdt', ops: 'Ms', exec: 'lgdt(OS)', ...SYS });
add({ op: 0x0f01, reg: 3, mod: 'mem', mn: 'lidt', ops: 'Ms', exec: 'lidt(OS)', ...SYS });
add({ op: 0x0f01, reg: 4, mn: 'smsw', ops: 'Ew', exec: 'smsw(OS)', ...SYS });
add({ op: 0x0f01, reg: 6, mn: 'lmsw', ops: 'Ew', exec: 'lmsw()', ...SYS });
add({ op: 0x0f01, reg: 7, mod: 'mem', mn: 'invlpg', ops: 'M', exec: 'invlpg()', ...SYS, cpu: '486' });
add({ op: 0x0f02, mn: 'lar', ops: 'Gv,Ew', exec: 'lar(OS)', f: 'z', ...SYS });
add({ op: 0x0f03, mn: 'lsl', ops: 'Gv,Ew', exec: 'lsl(OS)', f: 'z', ...SYS });
add({ op: 0x0f06, mn: 'clts', ops: '', exec: 'clts()', ...SYS });
add({ op: 0x0f08, mn: 'invd', ops: '', exec: 'invd()', ...SYS, cpu: '486' });
add({ op: 0x0f09, mn: 'wbinvd', ops: '', exec: 'invd()', ...SYS, cpu: '486' });
add({ op: 0x0f0b, mn: 'ud2', ops: '', exec: 'ud2()', user: false, cpu: 'P6' });
// The reserved hint NOPs (SDM Vol. 2B "NOP" and Table A-3, 0F 19-0F 1F): each takes a ModRM
// operand, touches no memory and does nothing on a CPU without the features later given some of
// these encodings (MPX, CET). Compilers emit ENDBR32 (F3 0F 1E FB) at every function entry, and
// Debian's static glibc carries it: as a #UD, any such binary dies with SIGILL.
for (let reg = 0; reg < 8; reg++) add({ op: 0x0f1f, reg, mn: 'nop', ops: 'Ev', exec: 'nop()', cpu: 'P6' });
for (const op of [0x0f19, 0x0f1a, 0x0f1b, 0x0f1c, 0x0f1d, 0x0f1e]) {
  add({ op, mn: 'nop', ops: 'Ev', exec: 'nop()', cpu: 'P6' });
}
add({ op: 0x0f20, mn: 'mov', ops: 'Rd,Cd', exec: 'movFromCr()', ...SYS, cpu: '386' });
add({ op: 0x0f21, mn: 'mov', ops: 'Rd,Dd', exec: 'movFromDr()', ...SYS, cpu: '386' });
add({ op: 0x0f22, mn: 'mov', ops: 'Cd,Rd', exec: 'movToCr()', ...SYS, cpu: '386', cf: 'sys' });
add({ op: 0x0f23, mn: 'mov', ops: 'Dd,Rd', exec: 'movToDr()', ...SYS, cpu: '386' });
add({ op: 0x0f30, mn: 'wrmsr', ops: '', exec: 'wrmsr()', ...SYS, cpu: 'P5', cf: 'sys' });
add({ op: 0x0f31, mn: 'rdtsc', ops: '', exec: 'rdtsc()', user: false, cpu: 'P5' });
add({ op: 0x0f32, mn: 'rdmsr', ops: '', exec: 'rdmsr()', ...SYS, cpu: 'P5' });
add({ op: 0x0f33, mn: 'rdpmc', ops: '', exec: 'rdpmc()', user: false, cpu: 'P6' });
add({ op: 0x0f34, mn: 'sysenter', ops: '', exec: 'sysenter()', ...SYS, cpu: 'P6', cf: 'far' });
add({ op: 0x0f35, mn: 'sysexit', ops: '', exec: 'sysexit()', ...SYS, cpu: 'P6', cf: 'far' });
for (let c = 0; c < 16; c++) {
  add({ op: 0x0f40 + c, mn: 'cmov' + CC[c], ops: 'Gv,Ev', exec: `cmov(${c}, OS)`, r: CC_FLAGS[c], cpu: 'P6' });
  add({ op: 0x0f80 + c, mn: 'j' + CC[c], ops: 'Jz', exec: `jcc(${c})`, r: CC_FLAGS[c], user: false, cf: 'jcc', cpu: '386' });
  add({ op: 0x0f90 + c, mn: 'set' + CC[c], ops: 'Eb', exec: `setcc(${c})`, r: CC_FLAGS[c], cpu: '386' });
}
add({ op: 0x0fa0, mn: 'push', ops: 'FS', exec: 'pushSeg(SEG_FS, OS)', user: false, cpu: '386' });
add({ op: 0x0fa1, mn: 'pop', ops: 'FS', exec: 'popSeg(SEG_FS, OS)', user: false, cpu: '386' });
add({ op: 0x0fa2, mn: 'cpuid', ops: '', exec: 'cpuid()', user: false, cpu: 'P5' });
add({ op: 0x0fa3, mn: 'bt', ops: 'Ev,Gv', exec: 'btEG(BIT_TEST, OS)', f: 'c', u: 'oszap', cpu: '386' });
add({ op: 0x0fa4, mn: 'shld', ops: 'Ev,Gv,Ib', exec: 'shld(OS, imm)', f: 'oszapc', u: 'a', cpu: '386' });
add({ op: 0x0fa5, mn: 'shld', ops: 'Ev,Gv,CL', exec: 'shld(OS, reg8(REG_ECX))', f: 'oszapc', u: 'a', cpu: '386' });
add({ op: 0x0fa8, mn: 'push', ops: 'GS', exec: 'pushSeg(SEG_GS, OS)', user: false, cpu: '386' });
add({ op: 0x0fa9, mn: 'pop', ops: 'GS', exec: 'popSeg(SEG_GS, OS)', user: false, cpu: '386' });
add({ op: 0x0fab, mn: 'bts', ops: 'Ev,Gv', exec: 'btEG(BIT_SET, OS)', lock: true, f: 'c', u: 'oszap', cpu: '386' });
add({ op: 0x0fac, mn: 'shrd', ops: 'Ev,Gv,Ib', exec: 'shrd(OS, imm)', f: 'oszapc', u: 'a', cpu: '386' });
add({ op: 0x0fad, mn: 'shrd', ops: 'Ev,Gv,CL', exec: 'shrd(OS, reg8(REG_ECX))', f: 'oszapc', u: 'a', cpu: '386' });
add({ op: 0x0faf, mn: 'imul', ops: 'Gv,Ev', exec: 'imul2(OS)', f: 'oszapc', u: 'szap', cpu: '386' });
add({ op: 0x0fb0, mn: 'cmpxchg', ops: 'Eb,Gb', exec: 'cmpxchg(8)', lock: true, f: 'oszapc', cpu: '486' });
add({ op: 0x0fb1, mn: 'cmpxchg', ops: 'Ev,Gv', exec: 'cmpxchg(OS)', lock: true, f: 'oszapc', cpu: '486' });
add({ op: 0x0fb2, mod: 'mem', mn: 'lss', ops: 'Gz,Mp', exec: 'loadFarPointer(SEG_SS, OS)', user: false, cpu: '386' });
add({ op: 0x0fb3, mn: 'btr', ops: 'Ev,Gv', exec: 'btEG(BIT_RESET, OS)', lock: true, f: 'c', u: 'oszap', cpu: '386' });
add({ op: 0x0fb4, mod: 'mem', mn: 'lfs', ops: 'Gz,Mp', exec: 'loadFarPointer(SEG_FS, OS)', user: false, cpu: '386' });
add({ op: 0x0fb5, mod: 'mem', mn: 'lgs', ops: 'Gz,Mp', exec: 'loadFarPointer(SEG_GS, OS)', user: false, cpu: '386' });
add({ op: 0x0fb6, mn: 'movzx', ops: 'Gv,Eb', exec: 'movzx(OS, 8)', cpu: '386' });
add({ op: 0x0fb7, mn: 'movzx', ops: 'Gv,Ew', exec: 'movzx(OS, 16)', cpu: '386' });
add({ op: 0x0fb9, mn: 'ud1', ops: 'Gv,Ev', exec: 'ud2()', user: false, cpu: 'P6' });
for (let i = 4; i < 8; i++) {
  const k = ['BIT_TEST', 'BIT_SET', 'BIT_RESET', 'BIT_COMPLEMENT'][i - 4];
  add({
    op: 0x0fba,
    reg: i,
    mn: ['bt', 'bts', 'btr', 'btc'][i - 4],
    ops: 'Ev,Ib',
    exec: `btEI(${k}, OS)`,
    lock: i > 4,
    f: 'c',
    u: 'oszap',
    cpu: '386',
  });
}
add({ op: 0x0fbb, mn: 'btc', ops: 'Ev,Gv', exec: 'btEG(BIT_COMPLEMENT, OS)', lock: true, f: 'c', u: 'oszap', cpu: '386' });
add({ op: 0x0fbc, mn: 'bsf', ops: 'Gv,Ev', exec: 'bsf(OS)', f: 'oszapc', u: 'osapc', cpu: '386' });
add({ op: 0x0fbd, mn: 'bsr', ops: 'Gv,Ev', exec: 'bsr(OS)', f: 'oszapc', u: 'osapc', cpu: '386' });
add({ op: 0x0fbe, mn: 'movsx', ops: 'Gv,Eb', exec: 'movsx(OS, 8)', cpu: '386' });
add({ op: 0x0fbf, mn: 'movsx', ops: 'Gv,Ew', exec: 'movsx(OS, 16)', cpu: '386' });
add({ op: 0x0fc0, mn: 'xadd', ops: 'Eb,Gb', exec: 'xadd(8)', lock: true, f: 'oszapc', cpu: '486' });
add({ op: 0x0fc1, mn: 'xadd', ops: 'Ev,Gv', exec: 'xadd(OS)', lock: true, f: 'oszapc', cpu: '486' });
add({ op: 0x0fc7, reg: 1, mod: 'mem', mn: 'cmpxchg8b', ops: 'Mq', exec: 'cmpxchg8b()', lock: true, f: 'z', cpu: 'P5' });
for (let r = 0; r < 8; r++) add({ op: 0x0fc8 + r, mn: 'bswap', ops: `r${r}d`, exec: `bswap(${r})`, cpu: '486' });
add({ op: 0x0fae, reg: 0, mod: 'mem', mn: 'fxsave', ops: 'M', exec: 'fxsave()', user: false, cpu: 'P6' });
add({ op: 0x0fae, reg: 1, mod: 'mem', mn: 'fxrstor', ops: 'M', exec: 'fxrstor()', user: false, cpu: 'P6' });

/**
 * x87 escapes D8-DF (SDM Vol. 2 App. A.4, Tables ). Memory forms
 * are one row per ModRM.reg; register forms a row per reg, or per reg and
 * ModRM.rm (`rm`) where the whole ModRM byte names the instruction (D9 E0
 * FCHS, DB E3 FNINIT, DF E0 FNSTSW AX, ...). Operands: ST = ST(0), STi =
 * ST(ModRM.rm); memory sizes d/q/w as usual, t = 80-bit (m80real, m80bcd),
 * plain M = environment/state images. The P6 executes the undocumented
 * register aliases (D9 D8+i FSTP, DC D0+i FCOM, DC D8+i FCOMP, DD C8+i
 * FXCH, DE D0+i FCOMP, DF C0+i FFREEP, DF C8+i FXCH, DF D0+i/D8+i FSTP):
 * they are rows too. All x87 rows are user: false for the integer
 * differential generator; test/cpu/x87 generates its own FP cases.
 *
 * Arithmetic operation numbers (x87-arith.ts): 0 add, 1 mul, 2 com, 3 comp,
 * 4 sub, 5 subr, 6 div, 7 divr. Memory formats (x87-load-store.ts): 0 m32fp,
 * 1 m64fp, 2 m16int, 3 m32int, 4 m64int, 5 m80fp.
 */
function addX87Rows() {
  const X = { user: false, cpu: '8086' };
  const ARITH = ['fadd', 'fmul', 'fcom', 'fcomp', 'fsub', 'fsubr', 'fdiv', 'fdivr'];
  const IARITH = ['fiadd', 'fimul', 'ficom', 'ficomp', 'fisub', 'fisubr', 'fidiv', 'fidivr'];
  // Register forms ST(i), ST(0) (DC, DE): the SDM swaps sub/subr and div/divr there.
  const REV = [0, 1, 2, 3, 5, 4, 7, 6];
  for (let r = 0; r < 8; r++) {
    add({ op: 0xd8, reg: r, mod: 'mem', mn: ARITH[r], ops: 'Md', exec: `x87ArithMem(${r}, 0)`, ...X });
    add({ op: 0xdc, reg: r, mod: 'mem', mn: ARITH[r], ops: 'Mq', exec: `x87ArithMem(${r}, 1)`, ...X });
    add({ op: 0xda, reg: r, mod: 'mem', mn: IARITH[r], ops: 'Md', exec: `x87ArithMem(${r}, 3)`, ...X });
    add({ op: 0xde, reg: r, mod: 'mem', mn: IARITH[r], ops: 'Mw', exec: `x87ArithMem(${r}, 2)`, ...X });
    const cmp = r === 2 || r === 3;
    add({ op: 0xd8, reg: r, mod: 'reg', mn: ARITH[r], ops: cmp ? 'STi' : 'ST,STi', exec: `x87ArithReg(${r}, false, false)`, ...X });
    add({
      op: 0xdc,
      reg: r,
      mod: 'reg',
      mn: ARITH[REV[r]],
      ops: cmp ? 'STi' : 'STi,ST',
      exec: `x87ArithReg(${REV[r]}, true, false)`,
      ...X,
    });
    if (r !== 3) {
      const mn = cmp ? 'fcomp' : ARITH[REV[r]] + 'p';
      add({
        op: 0xde,
        reg: r,
        mod: 'reg',
        mn,
        ops: cmp ? 'STi' : 'STi,ST',
        exec: cmp ? 'x87ArithReg(3, true, false)' : `x87ArithReg(${REV[r]}, true, true)`,
        ...X,
      });
    }
  }
  add({ op: 0xde, reg: 3, mod: 'reg', rm: 1, mn: 'fcompp', ops: '', exec: 'x87Compp(false)', ...X });
  add({ op: 0xda, reg: 5, mod: 'reg', rm: 1, mn: 'fucompp', ops: '', exec: 'x87Compp(true)', ...X, cpu: '386' });

  // Loads and stores.
  add({ op: 0xd9, reg: 0, mod: 'mem', mn: 'fld', ops: 'Md', exec: 'x87LoadMem(0)', ...X });
  add({ op: 0xdd, reg: 0, mod: 'mem', mn: 'fld', ops: 'Mq', exec: 'x87LoadMem(1)', ...X });
  add({ op: 0xdb, reg: 5, mod: 'mem', mn: 'fld', ops: 'Mt', exec: 'x87LoadMem(5)', ...X });
  add({ op: 0xdf, reg: 0, mod: 'mem', mn: 'fild', ops: 'Mw', exec: 'x87LoadMem(2)', ...X });
  add({ op: 0xdb, reg: 0, mod: 'mem', mn: 'fild', ops: 'Md', exec: 'x87LoadMem(3)', ...X });
  add({ op: 0xdf, reg: 5, mod: 'mem', mn: 'fild', ops: 'Mq', exec: 'x87LoadMem(4)', ...X });
  add({ op: 0xdf, reg: 4, mod: 'mem', mn: 'fbld', ops: 'Mt', exec: 'x87Fbld()', ...X });
  add({ op: 0xd9, reg: 2, mod: 'mem', mn: 'fst', ops: 'Md', exec: 'x87StoreMem(0, false)', ...X });
  add({ op: 0xd9, reg: 3, mod: 'mem', mn: 'fstp', ops: 'Md', exec: 'x87StoreMem(0, true)', ...X });
  add({ op: 0xdd, reg: 2, mod: 'mem', mn: 'fst', ops: 'Mq', exec: 'x87StoreMem(1, false)', ...X });
  add({ op: 0xdd, reg: 3, mod: 'mem', mn: 'fstp', ops: 'Mq', exec: 'x87StoreMem(1, true)', ...X });
  add({ op: 0xdb, reg: 7, mod: 'mem', mn: 'fstp', ops: 'Mt', exec: 'x87StoreMem(5, true)', ...X });
  add({ op: 0xdf, reg: 2, mod: 'mem', mn: 'fist', ops: 'Mw', exec: 'x87StoreMem(2, false)', ...X });
  add({ op: 0xdf, reg: 3, mod: 'mem', mn: 'fistp', ops: 'Mw', exec: 'x87StoreMem(2, true)', ...X });
  add({ op: 0xdb, reg: 2, mod: 'mem', mn: 'fist', ops: 'Md', exec: 'x87StoreMem(3, false)', ...X });
  add({ op: 0xdb, reg: 3, mod: 'mem', mn: 'fistp', ops: 'Md', exec: 'x87StoreMem(3, true)', ...X });
  add({ op: 0xdf, reg: 7, mod: 'mem', mn: 'fistp', ops: 'Mq', exec: 'x87StoreMem(4, true)', ...X });
  // FISTTP (SSE3): truncating stores.
  add({ op: 0xdf, reg: 1, mod: 'mem', mn: 'fisttp', ops: 'Mw', exec: 'x87Fisttp(2)', ...X, cpu: 'P6' });
  add({ op: 0xdb, reg: 1, mod: 'mem', mn: 'fisttp', ops: 'Md', exec: 'x87Fisttp(3)', ...X, cpu: 'P6' });
  add({ op: 0xdd, reg: 1, mod: 'mem', mn: 'fisttp', ops: 'Mq', exec: 'x87Fisttp(4)', ...X, cpu: 'P6' });
  add({ op: 0xdf, reg: 6, mod: 'mem', mn: 'fbstp', ops: 'Mt', exec: 'x87Fbstp()', ...X });

  // Register moves.
  add({ op: 0xd9, reg: 0, mod: 'reg', mn: 'fld', ops: 'STi', exec: 'x87LoadReg()', ...X });
  add({ op: 0xd9, reg: 1, mod: 'reg', mn: 'fxch', ops: 'STi', exec: 'x87Fxch()', ...X });
  add({ op: 0xdd, reg: 1, mod: 'reg', mn: 'fxch', ops: 'STi', exec: 'x87Fxch()', ...X });
  add({ op: 0xdf, reg: 1, mod: 'reg', mn: 'fxch', ops: 'STi', exec: 'x87Fxch()', ...X });
  add({ op: 0xdd, reg: 2, mod: 'reg', mn: 'fst', ops: 'STi', exec: 'x87StoreReg(false)', ...X });
  add({ op: 0xdd, reg: 3, mod: 'reg', mn: 'fstp', ops: 'STi', exec: 'x87StoreReg(true)', ...X });
  add({ op: 0xd9, reg: 3, mod: 'reg', mn: 'fstp', ops: 'STi', exec: 'x87StoreReg(true)', ...X });
  add({ op: 0xdf, reg: 2, mod: 'reg', mn: 'fstp', ops: 'STi', exec: 'x87StoreReg(true)', ...X });
  add({ op: 0xdf, reg: 3, mod: 'reg', mn: 'fstp', ops: 'STi', exec: 'x87StoreReg(true)', ...X });
  add({ op: 0xdd, reg: 0, mod: 'reg', mn: 'ffree', ops: 'STi', exec: 'x87Ffree(false)', ...X });
  add({ op: 0xdf, reg: 0, mod: 'reg', mn: 'ffreep', ops: 'STi', exec: 'x87Ffree(true)', ...X });
  const FCMOV = ['fcmovb', 'fcmove', 'fcmovbe', 'fcmovu'];
  const FCMOV_READS = ['c', 'z', 'cz', 'p'];
  for (let r = 0; r < 4; r++) {
    add({ op: 0xda, reg: r, mod: 'reg', mn: FCMOV[r], ops: 'ST,STi', exec: `x87Fcmov(${r}, false)`, r: FCMOV_READS[r], ...X, cpu: 'P6' });
    const mn = FCMOV[r].replace('fcmov', 'fcmovn');
    add({ op: 0xdb, reg: r, mod: 'reg', mn, ops: 'ST,STi', exec: `x87Fcmov(${r}, true)`, r: FCMOV_READS[r], ...X, cpu: 'P6' });
  }
  // Compares into EFLAGS (P6) and FUCOM.
  add({ op: 0xdb, reg: 5, mod: 'reg', mn: 'fucomi', ops: 'ST,STi', exec: 'x87Comi(true, false)', f: 'oszapc', ...X, cpu: 'P6' });
  add({ op: 0xdb, reg: 6, mod: 'reg', mn: 'fcomi', ops: 'ST,STi', exec: 'x87Comi(false, false)', f: 'oszapc', ...X, cpu: 'P6' });
  add({ op: 0xdf, reg: 5, mod: 'reg', mn: 'fucomip', ops: 'ST,STi', exec: 'x87Comi(true, true)', f: 'oszapc', ...X, cpu: 'P6' });
  add({ op: 0xdf, reg: 6, mod: 'reg', mn: 'fcomip', ops: 'ST,STi', exec: 'x87Comi(false, true)', f: 'oszapc', ...X, cpu: 'P6' });
  add({ op: 0xdd, reg: 4, mod: 'reg', mn: 'fucom', ops: 'STi', exec: 'x87Fucom(false)', ...X, cpu: '386' });
  add({ op: 0xdd, reg: 5, mod: 'reg', mn: 'fucomp', ops: 'STi', exec: 'x87Fucom(true)', ...X, cpu: '386' });

  // D9 register forms named by the whole ModRM byte.
  add({ op: 0xd9, reg: 2, mod: 'reg', rm: 0, mn: 'fnop', ops: '', exec: 'x87Fnop()', ...X });
  const D9_4 = { 0: 'fchs', 1: 'fabs', 4: 'ftst', 5: 'fxam' };
  for (const [rm, mn] of Object.entries(D9_4))
    add({ op: 0xd9, reg: 4, mod: 'reg', rm: Number(rm), mn, ops: '', exec: `x87D9Group4(${rm})`, ...X });
  const CONSTS = ['fld1', 'fldl2t', 'fldl2e', 'fldpi', 'fldlg2', 'fldln2', 'fldz'];
  CONSTS.forEach((mn, rm) => add({ op: 0xd9, reg: 5, mod: 'reg', rm, mn, ops: '', exec: `x87LoadConst(${rm})`, ...X }));
  const D9_6 = ['f2xm1', 'fyl2x', 'fptan', 'fpatan', 'fxtract', 'fprem1', 'fdecstp', 'fincstp'];
  const D9_7 = ['fprem', 'fyl2xp1', 'fsqrt', 'fsincos', 'frndint', 'fscale', 'fsin', 'fcos'];
  D9_6.forEach((mn, rm) => add({ op: 0xd9, reg: 6, mod: 'reg', rm, mn, ops: '', exec: `x87D9Group6(${rm})`, ...X }));
  D9_7.forEach((mn, rm) => add({ op: 0xd9, reg: 7, mod: 'reg', rm, mn, ops: '', exec: `x87D9Group7(${rm})`, ...X }));

  // Control.
  add({ op: 0xd9, reg: 4, mod: 'mem', mn: 'fldenv', ops: 'M', exec: 'x87Fldenv(OS)', ...X });
  add({ op: 0xd9, reg: 5, mod: 'mem', mn: 'fldcw', ops: 'Mw', exec: 'x87Fldcw()', ...X });
  add({ op: 0xd9, reg: 6, mod: 'mem', mn: 'fnstenv', ops: 'M', exec: 'x87Fnstenv(OS)', ...X });
  add({ op: 0xd9, reg: 7, mod: 'mem', mn: 'fnstcw', ops: 'Mw', exec: 'x87Fnstcw()', ...X });
  add({ op: 0xdd, reg: 4, mod: 'mem', mn: 'frstor', ops: 'M', exec: 'x87Frstor(OS)', ...X });
  add({ op: 0xdd, reg: 6, mod: 'mem', mn: 'fnsave', ops: 'M', exec: 'x87Fnsave(OS)', ...X });
  add({ op: 0xdd, reg: 7, mod: 'mem', mn: 'fnstsw', ops: 'Mw', exec: 'x87FnstswMem()', ...X });
  add({ op: 0xdf, reg: 4, mod: 'reg', rm: 0, mn: 'fnstsw', ops: 'AX', exec: 'x87FnstswAx()', ...X, cpu: '286' });
  // DB E0-E4: FENI, FDISI, FNCLEX, FNINIT, FSETPM (8087/287 leftovers, no-ops on the P6).
  const DB_4 = ['fneni', 'fndisi', 'fnclex', 'fninit', 'fnsetpm'];
  DB_4.forEach((mn, rm) => add({ op: 0xdb, reg: 4, mod: 'reg', rm, mn, ops: '', exec: `x87DBGroup4(${rm})`, ...X }));
}

// ---- MMX and SIMD integer (SSE2/SSSE3/SSE4.1/SSE4.2 packed integer, CRC32, POPCNT) ----
// Handlers: core-as/cpu/ops/simd-int-*.ts. A plain row is the MMX form (Pq/Qq/Nq), the 66 row
// the XMM form (Vx/Wx/Ux). Lane operations name a SIMD_* constant of simd-int-arith.ts.
{
  const MMX = { cpu: 'P5' }; // Pentium MMX
  const SSE2 = { cpu: 'P6' };
  // [opcode, mnemonic, operation, MMX form too]
  const BINARY = [
    [0x0f60, 'punpcklbw', 'SIMD_PUNPCKLBW', true],
    [0x0f61, 'punpcklwd', 'SIMD_PUNPCKLWD', true],
    [0x0f62, 'punpckldq', 'SIMD_PUNPCKLDQ', true],
    [0x0f63, 'packsswb', 'SIMD_PACKSSWB', true],
    [0x0f64, 'pcmpgtb', 'SIMD_PCMPGTB', true],
    [0x0f65, 'pcmpgtw', 'SIMD_PCMPGTW', true],
    [0x0f66, 'pcmpgtd', 'SIMD_PCMPGTD', true],
    [0x0f67, 'packuswb', 'SIMD_PACKUSWB', true],
    [0x0f68, 'punpckhbw', 'SIMD_PUNPCKHBW', true],
    [0x0f69, 'punpckhwd', 'SIMD_PUNPCKHWD', true],
    [0x0f6a, 'punpckhdq', 'SIMD_PUNPCKHDQ', true],
    [0x0f6b, 'packssdw', 'SIMD_PACKSSDW', true],
    [0x0f6c, 'punpcklqdq', 'SIMD_PUNPCKLQDQ', false],
    [0x0f6d, 'punpckhqdq', 'SIMD_PUNPCKHQDQ', false],
    [0x0f74, 'pcmpeqb', 'SIMD_PCMPEQB', true],
    [0x0f75, 'pcmpeqw', 'SIMD_PCMPEQW', true],
    [0x0f76, 'pcmpeqd', 'SIMD_PCMPEQD', true],
    [0x0fd4, 'paddq', 'SIMD_PADDQ', true],
    [0x0fd5, 'pmullw', 'SIMD_PMULLW', true],
    [0x0fd8, 'psubusb', 'SIMD_PSUBUSB', true],
    [0x0fd9, 'psubusw', 'SIMD_PSUBUSW', true],
    [0x0fda, 'pminub', 'SIMD_PMINUB', true],
    [0x0fdb, 'pand', 'SIMD_PAND', true],
    [0x0fdc, 'paddusb', 'SIMD_PADDUSB', true],
    [0x0fdd, 'paddusw', 'SIMD_PADDUSW', true],
    [0x0fde, 'pmaxub', 'SIMD_PMAXUB', true],
    [0x0fdf, 'pandn', 'SIMD_PANDN', true],
    [0x0fe0, 'pavgb', 'SIMD_PAVGB', true],
    [0x0fe3, 'pavgw', 'SIMD_PAVGW', true],
    [0x0fe4, 'pmulhuw', 'SIMD_PMULHUW', true],
    [0x0fe5, 'pmulhw', 'SIMD_PMULHW', true],
    [0x0fe8, 'psubsb', 'SIMD_PSUBSB', true],
    [0x0fe9, 'psubsw', 'SIMD_PSUBSW', true],
    [0x0fea, 'pminsw', 'SIMD_PMINSW', true],
    [0x0feb, 'por', 'SIMD_POR', true],
    [0x0fec, 'paddsb', 'SIMD_PADDSB', true],
    [0x0fed, 'paddsw', 'SIMD_PADDSW', true],
    [0x0fee, 'pmaxsw', 'SIMD_PMAXSW', true],
    [0x0fef, 'pxor', 'SIMD_PXOR', true],
    [0x0ff4, 'pmuludq', 'SIMD_PMULUDQ', true],
    [0x0ff5, 'pmaddwd', 'SIMD_PMADDWD', true],
    [0x0ff6, 'psadbw', 'SIMD_PSADBW', true],
    [0x0ff8, 'psubb', 'SIMD_PSUBB', true],
    [0x0ff9, 'psubw', 'SIMD_PSUBW', true],
    [0x0ffa, 'psubd', 'SIMD_PSUBD', true],
    [0x0ffb, 'psubq', 'SIMD_PSUBQ', true],
    [0x0ffc, 'paddb', 'SIMD_PADDB', true],
    [0x0ffd, 'paddw', 'SIMD_PADDW', true],
    [0x0ffe, 'paddd', 'SIMD_PADDD', true],
    // SSSE3
    [0x0f3800, 'pshufb', 'SIMD_PSHUFB', true],
    [0x0f3801, 'phaddw', 'SIMD_PHADDW', true],
    [0x0f3802, 'phaddd', 'SIMD_PHADDD', true],
    [0x0f3803, 'phaddsw', 'SIMD_PHADDSW', true],
    [0x0f3804, 'pmaddubsw', 'SIMD_PMADDUBSW', true],
    [0x0f3805, 'phsubw', 'SIMD_PHSUBW', true],
    [0x0f3806, 'phsubd', 'SIMD_PHSUBD', true],
    [0x0f3807, 'phsubsw', 'SIMD_PHSUBSW', true],
    [0x0f3808, 'psignb', 'SIMD_PSIGNB', true],
    [0x0f3809, 'psignw', 'SIMD_PSIGNW', true],
    [0x0f380a, 'psignd', 'SIMD_PSIGND', true],
    [0x0f380b, 'pmulhrsw', 'SIMD_PMULHRSW', true],
    [0x0f381c, 'pabsb', 'SIMD_PABSB', true],
    [0x0f381d, 'pabsw', 'SIMD_PABSW', true],
    [0x0f381e, 'pabsd', 'SIMD_PABSD', true],
    // SSE4.1, SSE4.2
    [0x0f3810, 'pblendvb', 'SIMD_PBLENDVB', false],
    [0x0f3828, 'pmuldq', 'SIMD_PMULDQ', false],
    [0x0f3829, 'pcmpeqq', 'SIMD_PCMPEQQ', false],
    [0x0f382b, 'packusdw', 'SIMD_PACKUSDW', false],
    [0x0f3837, 'pcmpgtq', 'SIMD_PCMPGTQ', false],
    [0x0f3838, 'pminsb', 'SIMD_PMINSB', false],
    [0x0f3839, 'pminsd', 'SIMD_PMINSD', false],
    [0x0f383a, 'pminuw', 'SIMD_PMINUW', false],
    [0x0f383b, 'pminud', 'SIMD_PMINUD', false],
    [0x0f383c, 'pmaxsb', 'SIMD_PMAXSB', false],
    [0x0f383d, 'pmaxsd', 'SIMD_PMAXSD', false],
    [0x0f383e, 'pmaxuw', 'SIMD_PMAXUW', false],
    [0x0f383f, 'pmaxud', 'SIMD_PMAXUD', false],
    [0x0f3840, 'pmulld', 'SIMD_PMULLD', false],
    [0x0f3841, 'phminposuw', 'SIMD_PHMINPOSUW', false],
  ];
  const binaryCpu = (op, mmx) => (op > 0xffff ? 'Core2' : mmx ? 'P5' : 'P6');
  addForms(BINARY, [
    (op, mn, k, mmx) => mmx && { op, mn, ops: 'Pq,Qq', exec: `mmxBinary(${k})`, cpu: binaryCpu(op, mmx) },
    // PBLENDVB: XMM0 implicit.
    (op, mn, k, mmx) => ({ op, pfx: 0x66, mn, ops: 'Vx,Wx', exec: `xmmBinary(${k})`, cpu: binaryCpu(op, mmx) }),
  ]);
  // Shifts by a register count (the whole 64-bit source).
  const SHIFT_REG = [
    [0x0fd1, 'psrlw', 'SIMD_PSRLW'],
    [0x0fd2, 'psrld', 'SIMD_PSRLD'],
    [0x0fd3, 'psrlq', 'SIMD_PSRLQ'],
    [0x0fe1, 'psraw', 'SIMD_PSRAW'],
    [0x0fe2, 'psrad', 'SIMD_PSRAD'],
    [0x0ff1, 'psllw', 'SIMD_PSLLW'],
    [0x0ff2, 'pslld', 'SIMD_PSLLD'],
    [0x0ff3, 'psllq', 'SIMD_PSLLQ'],
  ];
  addForms(SHIFT_REG, [
    (op, mn, k) => ({ op, mn, ops: 'Pq,Qq', exec: `mmxShift(${k})`, ...MMX }),
    (op, mn, k) => ({ op, pfx: 0x66, mn, ops: 'Vx,Wx', exec: `xmmShift(${k})`, ...SSE2 }),
  ]);
  // Groups 12-14: shifts by an immediate (register operand only).
  const SHIFT_IMM = [
    [0x0f71, 2, 'psrlw', 'SIMD_PSRLW'],
    [0x0f71, 4, 'psraw', 'SIMD_PSRAW'],
    [0x0f71, 6, 'psllw', 'SIMD_PSLLW'],
    [0x0f72, 2, 'psrld', 'SIMD_PSRLD'],
    [0x0f72, 4, 'psrad', 'SIMD_PSRAD'],
    [0x0f72, 6, 'pslld', 'SIMD_PSLLD'],
    [0x0f73, 2, 'psrlq', 'SIMD_PSRLQ'],
    [0x0f73, 6, 'psllq', 'SIMD_PSLLQ'],
  ];
  addForms(SHIFT_IMM, [
    (op, reg, mn, k) => ({ op, reg, mod: 'reg', mn, ops: 'Nq,Ib', exec: `mmxShiftImm(${k})`, ...MMX }),
    (op, reg, mn, k) => ({ op, reg, mod: 'reg', pfx: 0x66, mn, ops: 'Ux,Ib', exec: `xmmShiftImm(${k})`, ...SSE2 }),
  ]);
  add({ op: 0x0f73, reg: 3, mod: 'reg', pfx: 0x66, mn: 'psrldq', ops: 'Ux,Ib', exec: 'xmmShiftImm(SIMD_PSRLDQ)', ...SSE2 });
  add({ op: 0x0f73, reg: 7, mod: 'reg', pfx: 0x66, mn: 'pslldq', ops: 'Ux,Ib', exec: 'xmmShiftImm(SIMD_PSLLDQ)', ...SSE2 });
  // Operations with an imm8 selector.
  add({ op: 0x0f70, mn: 'pshufw', ops: 'Pq,Qq,Ib', exec: 'mmxBinaryImm(SIMD_PSHUFW)', cpu: 'P6' });
  add({ op: 0x0f70, pfx: 0x66, mn: 'pshufd', ops: 'Vx,Wx,Ib', exec: 'xmmBinaryImm(SIMD_PSHUFD)', ...SSE2 });
  add({ op: 0x0f70, pfx: 0xf3, mn: 'pshufhw', ops: 'Vx,Wx,Ib', exec: 'xmmBinaryImm(SIMD_PSHUFHW)', ...SSE2 });
  add({ op: 0x0f70, pfx: 0xf2, mn: 'pshuflw', ops: 'Vx,Wx,Ib', exec: 'xmmBinaryImm(SIMD_PSHUFLW)', ...SSE2 });
  add({ op: 0x0f3a0f, mn: 'palignr', ops: 'Pq,Qq,Ib', exec: 'mmxBinaryImm(SIMD_PALIGNR)', cpu: 'Core2' });
  add({ op: 0x0f3a0f, pfx: 0x66, mn: 'palignr', ops: 'Vx,Wx,Ib', exec: 'xmmBinaryImm(SIMD_PALIGNR)', cpu: 'Core2' });
  add({ op: 0x0f3a0e, pfx: 0x66, mn: 'pblendw', ops: 'Vx,Wx,Ib', exec: 'xmmBinaryImm(SIMD_PBLENDW)', cpu: 'Core2' });
  add({ op: 0x0f3a42, pfx: 0x66, mn: 'mpsadbw', ops: 'Vx,Wx,Ib', exec: 'xmmBinaryImm(SIMD_MPSADBW)', cpu: 'Core2' });
  // Moves.
  add({ op: 0x0f6e, mn: 'movd', ops: 'Pd,Ed', exec: 'movdToMmx()', ...MMX });
  add({ op: 0x0f6e, pfx: 0x66, mn: 'movd', ops: 'Vd,Ed', exec: 'movdToXmm()', ...SSE2 });
  add({ op: 0x0f7e, mn: 'movd', ops: 'Ed,Pd', exec: 'movdFromMmx()', ...MMX });
  add({ op: 0x0f7e, pfx: 0x66, mn: 'movd', ops: 'Ed,Vd', exec: 'movdFromXmm()', ...SSE2 });
  add({ op: 0x0f7e, pfx: 0xf3, mn: 'movq', ops: 'Vq,Wq', exec: 'movqToXmm()', ...SSE2 });
  add({ op: 0x0f6f, mn: 'movq', ops: 'Pq,Qq', exec: 'movqToMmx()', ...MMX });
  add({ op: 0x0f6f, pfx: 0x66, mn: 'movdqa', ops: 'Vx,Wx', exec: 'movdqLoad(true)', ...SSE2 });
  add({ op: 0x0f6f, pfx: 0xf3, mn: 'movdqu', ops: 'Vx,Wx', exec: 'movdqLoad(false)', ...SSE2 });
  add({ op: 0x0f7f, mn: 'movq', ops: 'Qq,Pq', exec: 'movqFromMmx()', ...MMX });
  add({ op: 0x0f7f, pfx: 0x66, mn: 'movdqa', ops: 'Wx,Vx', exec: 'movdqStore(true)', ...SSE2 });
  add({ op: 0x0f7f, pfx: 0xf3, mn: 'movdqu', ops: 'Wx,Vx', exec: 'movdqStore(false)', ...SSE2 });
  add({ op: 0x0fd6, pfx: 0x66, mn: 'movq', ops: 'Wq,Vq', exec: 'movqFromXmm()', ...SSE2 });
  add({ op: 0x0fd6, pfx: 0xf3, mod: 'reg', mn: 'movq2dq', ops: 'Vx,Nq', exec: 'movq2dq()', ...SSE2 });
  add({ op: 0x0fd6, pfx: 0xf2, mod: 'reg', mn: 'movdq2q', ops: 'Pq,Ux', exec: 'movdq2q()', ...SSE2 });
  add({ op: 0x0fe7, mod: 'mem', mn: 'movntq', ops: 'Mq,Pq', exec: 'movqFromMmx()', cpu: 'P6' });
  add({ op: 0x0fe7, pfx: 0x66, mod: 'mem', mn: 'movntdq', ops: 'Mx,Vx', exec: 'movdqStore(true)', ...SSE2 });
  add({ op: 0x0f382a, pfx: 0x66, mod: 'mem', mn: 'movntdqa', ops: 'Vx,Mx', exec: 'movdqLoad(true)', cpu: 'Core2' });
  add({ op: 0x0ff0, pfx: 0xf2, mod: 'mem', mn: 'lddqu', ops: 'Vx,Mx', exec: 'movdqLoad(false)', cpu: 'P6' });
  add({ op: 0x0ff7, mod: 'reg', mn: 'maskmovq', ops: 'Pq,Nq', exec: 'maskmovq()', cpu: 'P6' });
  add({ op: 0x0ff7, pfx: 0x66, mod: 'reg', mn: 'maskmovdqu', ops: 'Vx,Ux', exec: 'maskmovdqu()', ...SSE2 });
  add({ op: 0x0f77, mn: 'emms', ops: '', exec: 'emms()', ...MMX });
  // Element insert/extract and masks.
  add({ op: 0x0fc4, mn: 'pinsrw', ops: 'Pq,Ew,Ib', exec: 'pinsrwMmx()', cpu: 'P6' });
  add({ op: 0x0fc4, pfx: 0x66, mn: 'pinsrw', ops: 'Vx,Ew,Ib', exec: 'pinsrXmm(16)', ...SSE2 });
  add({ op: 0x0f3a20, pfx: 0x66, mn: 'pinsrb', ops: 'Vx,Eb,Ib', exec: 'pinsrXmm(8)', cpu: 'Core2' });
  add({ op: 0x0f3a22, pfx: 0x66, mn: 'pinsrd', ops: 'Vx,Ed,Ib', exec: 'pinsrXmm(32)', cpu: 'Core2' });
  add({ op: 0x0fc5, mod: 'reg', mn: 'pextrw', ops: 'Gd,Nq,Ib', exec: 'pextrwMmx()', cpu: 'P6' });
  add({ op: 0x0fc5, pfx: 0x66, mod: 'reg', mn: 'pextrw', ops: 'Gd,Ux,Ib', exec: 'pextrwXmm()', ...SSE2 });
  add({ op: 0x0f3a14, pfx: 0x66, mn: 'pextrb', ops: 'Eb,Vx,Ib', exec: 'pextrXmm(8)', cpu: 'Core2' });
  add({ op: 0x0f3a15, pfx: 0x66, mn: 'pextrw', ops: 'Ew,Vx,Ib', exec: 'pextrXmm(16)', cpu: 'Core2' });
  add({ op: 0x0f3a16, pfx: 0x66, mn: 'pextrd', ops: 'Ed,Vx,Ib', exec: 'pextrXmm(32)', cpu: 'Core2' });
  add({ op: 0x0fd7, mod: 'reg', mn: 'pmovmskb', ops: 'Gd,Nq', exec: 'pmovmskbMmx()', cpu: 'P6' });
  add({ op: 0x0fd7, pfx: 0x66, mod: 'reg', mn: 'pmovmskb', ops: 'Gd,Ux', exec: 'pmovmskbXmm()', ...SSE2 });
  add({ op: 0x0f3817, pfx: 0x66, mn: 'ptest', ops: 'Vx,Wx', exec: 'ptest()', f: 'oszapc', cpu: 'Core2' });
  // PMOVSX/PMOVZX: [opcode low byte, suffix, source bytes]
  for (const [b, sfx, bytes] of [
    [0x20, 'bw', 8],
    [0x21, 'bd', 4],
    [0x22, 'bq', 2],
    [0x23, 'wd', 8],
    [0x24, 'wq', 4],
    [0x25, 'dq', 8],
  ]) {
    const src = bytes === 8 ? 'Wq' : bytes === 4 ? 'Wd' : 'Ww';
    const k = `SIMD_PMOV_${sfx.toUpperCase()}`;
    add({ op: 0x0f3800 | b, pfx: 0x66, mn: `pmovsx${sfx}`, ops: `Vx,${src}`, exec: `pmovx(${k}, ${bytes}, true)`, cpu: 'Core2' });
    add({ op: 0x0f3810 | b, pfx: 0x66, mn: `pmovzx${sfx}`, ops: `Vx,${src}`, exec: `pmovx(${k}, ${bytes}, false)`, cpu: 'Core2' });
  }
  // SSE4.2 string compares: ECX or XMM0 result, flags CF ZF SF OF (AF PF cleared).
  add({ op: 0x0f3a60, pfx: 0x66, mn: 'pcmpestrm', ops: 'Vx,Wx,Ib', exec: 'pcmpstr(true, true)', f: 'oszapc', cpu: 'Nehalem' });
  add({ op: 0x0f3a61, pfx: 0x66, mn: 'pcmpestri', ops: 'Vx,Wx,Ib', exec: 'pcmpstr(true, false)', f: 'oszapc', cpu: 'Nehalem' });
  add({ op: 0x0f3a62, pfx: 0x66, mn: 'pcmpistrm', ops: 'Vx,Wx,Ib', exec: 'pcmpstr(false, true)', f: 'oszapc', cpu: 'Nehalem' });
  add({ op: 0x0f3a63, pfx: 0x66, mn: 'pcmpistri', ops: 'Vx,Wx,Ib', exec: 'pcmpstr(false, false)', f: 'oszapc', cpu: 'Nehalem' });
  add({ op: 0x0f38f0, pfx: 0xf2, mn: 'crc32', ops: 'Gd,Eb', exec: 'crc32(8)', cpu: 'Nehalem' });
  add({ op: 0x0f38f1, pfx: 0xf2, mn: 'crc32', ops: 'Gd,Ev', exec: 'crc32(OS)', cpu: 'Nehalem' });
  add({ op: 0x0fb8, pfx: 0xf3, mn: 'popcnt', ops: 'Gv,Ev', exec: 'popcntGE(OS)', f: 'oszapc', cpu: 'Nehalem' });
}
// ---- end MMX and SIMD integer ----

// ---- SSE/SSE2/SSE3/SSE4.1 floating point (cpu/ops/sse-float-*.ts) ----
// Mandatory prefixes pick the type: none = packed single, 66 = packed double,
// F3 = scalar single, F2 = scalar double. Aligned forms fault on a misaligned m128.
{
  const P3 = { cpu: 'P6' }; // SSE: Pentium III (a P6); SSE2 and later are 'P6' too: the table knows no later CPUs
  const sse = (row) => add({ ...P3, ...row });
  /** The SSE types: mnemonic suffix, mandatory prefix, operands, handler suffix. */
  const TYPES = {
    ps: { ops: 'Vps,Wps', exec: 'Ps' },
    pd: { pfx: 0x66, ops: 'Vpd,Wpd', exec: 'Pd' },
    ss: { pfx: 0xf3, ops: 'Vss,Wss', exec: 'Ss' },
    sd: { pfx: 0xf2, ops: 'Vsd,Wsd', exec: 'Sd' },
  };
  /** A form for addForms: entry [opcode low byte, mnemonic stem, constant] as type `t`, handler execOf(handler suffix, constant). */
  const typeForm = (t, execOf) => (b, mn, k) => {
    const { pfx, ops, exec } = TYPES[t];
    return { ...P3, op: 0x0f00 | b, ...(pfx === undefined ? {} : { pfx }), mn: mn + t, ops, exec: execOf(exec, k) };
  };
  const arith = [
    [0x58, 'add', 'SSE_ADD'],
    [0x59, 'mul', 'SSE_MUL'],
    [0x5c, 'sub', 'SSE_SUB'],
    [0x5d, 'min', 'SSE_MIN'],
    [0x5e, 'div', 'SSE_DIV'],
    [0x5f, 'max', 'SSE_MAX'],
    [0x51, 'sqrt', 'SSE_SQRT'],
  ];
  addForms(
    arith,
    ['ps', 'pd', 'ss', 'sd'].map((t) => typeForm(t, (type, k) => `sseArith${type}(${k})`)),
  );
  sse({ op: 0x0f52, mn: 'rsqrtps', ops: 'Vps,Wps', exec: 'sseApproxPs(true)' });
  sse({ op: 0x0f52, pfx: 0xf3, mn: 'rsqrtss', ops: 'Vss,Wss', exec: 'sseApproxSs(true)' });
  sse({ op: 0x0f53, mn: 'rcpps', ops: 'Vps,Wps', exec: 'sseApproxPs(false)' });
  sse({ op: 0x0f53, pfx: 0xf3, mn: 'rcpss', ops: 'Vss,Wss', exec: 'sseApproxSs(false)' });
  const logic = [
    [0x54, 'and', 'SSE_AND'],
    [0x55, 'andn', 'SSE_ANDN'],
    [0x56, 'or', 'SSE_OR'],
    [0x57, 'xor', 'SSE_XOR'],
  ];
  addForms(
    logic,
    ['ps', 'pd'].map((t) => typeForm(t, (_, k) => `sseLogic(${k})`)),
  );
  sse({ op: 0x0fd0, pfx: 0x66, mn: 'addsubpd', ops: 'Vpd,Wpd', exec: 'addsubpd()' });
  sse({ op: 0x0fd0, pfx: 0xf2, mn: 'addsubps', ops: 'Vps,Wps', exec: 'addsubps()' });
  sse({ op: 0x0f7c, pfx: 0x66, mn: 'haddpd', ops: 'Vpd,Wpd', exec: 'sseHorizontalPd(SSE_ADD)' });
  sse({ op: 0x0f7c, pfx: 0xf2, mn: 'haddps', ops: 'Vps,Wps', exec: 'sseHorizontalPs(SSE_ADD)' });
  sse({ op: 0x0f7d, pfx: 0x66, mn: 'hsubpd', ops: 'Vpd,Wpd', exec: 'sseHorizontalPd(SSE_SUB)' });
  sse({ op: 0x0f7d, pfx: 0xf2, mn: 'hsubps', ops: 'Vps,Wps', exec: 'sseHorizontalPs(SSE_SUB)' });
  // Compares.
  sse({ op: 0x0fc2, mn: 'cmpps', ops: 'Vps,Wps,Ib', exec: 'cmpps()' });
  sse({ op: 0x0fc2, pfx: 0x66, mn: 'cmppd', ops: 'Vpd,Wpd,Ib', exec: 'cmppd()' });
  sse({ op: 0x0fc2, pfx: 0xf3, mn: 'cmpss', ops: 'Vss,Wss,Ib', exec: 'cmpss()' });
  sse({ op: 0x0fc2, pfx: 0xf2, mn: 'cmpsd', ops: 'Vsd,Wsd,Ib', exec: 'cmpsd()' });
  sse({ op: 0x0f2e, mn: 'ucomiss', ops: 'Vss,Wss', exec: 'comiss(false)', f: 'oszapc' });
  sse({ op: 0x0f2e, pfx: 0x66, mn: 'ucomisd', ops: 'Vsd,Wsd', exec: 'comisd(false)', f: 'oszapc' });
  sse({ op: 0x0f2f, mn: 'comiss', ops: 'Vss,Wss', exec: 'comiss(true)', f: 'oszapc' });
  sse({ op: 0x0f2f, pfx: 0x66, mn: 'comisd', ops: 'Vsd,Wsd', exec: 'comisd(true)', f: 'oszapc' });
  // Conversions.
  sse({ op: 0x0f2a, mn: 'cvtpi2ps', ops: 'Vps,Qpi', exec: 'cvtpi2ps()' });
  sse({ op: 0x0f2a, pfx: 0x66, mn: 'cvtpi2pd', ops: 'Vpd,Qpi', exec: 'cvtpi2pd()' });
  sse({ op: 0x0f2a, pfx: 0xf3, mn: 'cvtsi2ss', ops: 'Vss,Ed', exec: 'cvtsi2ss()' });
  sse({ op: 0x0f2a, pfx: 0xf2, mn: 'cvtsi2sd', ops: 'Vsd,Ed', exec: 'cvtsi2sd()' });
  for (const [b, t] of [
    [0x2c, true],
    [0x2d, false],
  ]) {
    const tt = t ? 'cvtt' : 'cvt';
    sse({ op: 0x0f00 | b, mn: tt + 'ps2pi', ops: 'Ppi,Wps', exec: `cvtps2pi(${t})` });
    sse({ op: 0x0f00 | b, pfx: 0x66, mn: tt + 'pd2pi', ops: 'Ppi,Wpd', exec: `cvtpd2pi(${t})` });
    sse({ op: 0x0f00 | b, pfx: 0xf3, mn: tt + 'ss2si', ops: 'Gd,Wss', exec: `cvtss2si(${t})` });
    sse({ op: 0x0f00 | b, pfx: 0xf2, mn: tt + 'sd2si', ops: 'Gd,Wsd', exec: `cvtsd2si(${t})` });
  }
  sse({ op: 0x0f5a, mn: 'cvtps2pd', ops: 'Vpd,Wps', exec: 'cvtps2pd()' });
  sse({ op: 0x0f5a, pfx: 0x66, mn: 'cvtpd2ps', ops: 'Vps,Wpd', exec: 'cvtpd2ps()' });
  sse({ op: 0x0f5a, pfx: 0xf3, mn: 'cvtss2sd', ops: 'Vsd,Wss', exec: 'cvtss2sd()' });
  sse({ op: 0x0f5a, pfx: 0xf2, mn: 'cvtsd2ss', ops: 'Vss,Wsd', exec: 'cvtsd2ss()' });
  sse({ op: 0x0f5b, mn: 'cvtdq2ps', ops: 'Vps,Wdq', exec: 'cvtdq2ps()' });
  sse({ op: 0x0f5b, pfx: 0x66, mn: 'cvtps2dq', ops: 'Vdq,Wps', exec: 'cvtps2dq(false)' });
  sse({ op: 0x0f5b, pfx: 0xf3, mn: 'cvttps2dq', ops: 'Vdq,Wps', exec: 'cvtps2dq(true)' });
  sse({ op: 0x0fe6, pfx: 0x66, mn: 'cvttpd2dq', ops: 'Vdq,Wpd', exec: 'cvtpd2dq(true)' });
  sse({ op: 0x0fe6, pfx: 0xf2, mn: 'cvtpd2dq', ops: 'Vdq,Wpd', exec: 'cvtpd2dq(false)' });
  sse({ op: 0x0fe6, pfx: 0xf3, mn: 'cvtdq2pd', ops: 'Vpd,Wq', exec: 'cvtdq2pd()' });
  // Moves.
  sse({ op: 0x0f10, mn: 'movups', ops: 'Vps,Wps', exec: 'movLoad128(false)' });
  sse({ op: 0x0f10, pfx: 0x66, mn: 'movupd', ops: 'Vpd,Wpd', exec: 'movLoad128(false)' });
  sse({ op: 0x0f10, pfx: 0xf3, mn: 'movss', ops: 'Vss,Wss', exec: 'movssLoad()' });
  sse({ op: 0x0f10, pfx: 0xf2, mn: 'movsd', ops: 'Vsd,Wsd', exec: 'movsdLoad()' });
  sse({ op: 0x0f11, mn: 'movups', ops: 'Wps,Vps', exec: 'movStore128(false)' });
  sse({ op: 0x0f11, pfx: 0x66, mn: 'movupd', ops: 'Wpd,Vpd', exec: 'movStore128(false)' });
  sse({ op: 0x0f11, pfx: 0xf3, mn: 'movss', ops: 'Wss,Vss', exec: 'movssStore()' });
  sse({ op: 0x0f11, pfx: 0xf2, mn: 'movsd', ops: 'Wsd,Vsd', exec: 'movsdStore()' });
  sse({ op: 0x0f12, mod: 'mem', mn: 'movlps', ops: 'Vq,Mq', exec: 'movLowLoad()' });
  sse({ op: 0x0f12, mod: 'reg', mn: 'movhlps', ops: 'Vq,Uq', exec: 'movLowLoad()' });
  sse({ op: 0x0f12, pfx: 0x66, mod: 'mem', mn: 'movlpd', ops: 'Vq,Mq', exec: 'movLowLoad()' });
  sse({ op: 0x0f12, pfx: 0xf3, mn: 'movsldup', ops: 'Vps,Wps', exec: 'movDupPs(false)' });
  sse({ op: 0x0f12, pfx: 0xf2, mn: 'movddup', ops: 'Vpd,Wsd', exec: 'movddup()' });
  sse({ op: 0x0f13, mod: 'mem', mn: 'movlps', ops: 'Mq,Vq', exec: 'movLowStore()' });
  sse({ op: 0x0f13, pfx: 0x66, mod: 'mem', mn: 'movlpd', ops: 'Mq,Vq', exec: 'movLowStore()' });
  sse({ op: 0x0f14, mn: 'unpcklps', ops: 'Vps,Wps', exec: 'unpckps(false)' });
  sse({ op: 0x0f14, pfx: 0x66, mn: 'unpcklpd', ops: 'Vpd,Wpd', exec: 'unpckpd(false)' });
  sse({ op: 0x0f15, mn: 'unpckhps', ops: 'Vps,Wps', exec: 'unpckps(true)' });
  sse({ op: 0x0f15, pfx: 0x66, mn: 'unpckhpd', ops: 'Vpd,Wpd', exec: 'unpckpd(true)' });
  sse({ op: 0x0f16, mod: 'mem', mn: 'movhps', ops: 'Vq,Mq', exec: 'movHighLoad()' });
  sse({ op: 0x0f16, mod: 'reg', mn: 'movlhps', ops: 'Vq,Uq', exec: 'movHighLoad()' });
  sse({ op: 0x0f16, pfx: 0x66, mod: 'mem', mn: 'movhpd', ops: 'Vq,Mq', exec: 'movHighLoad()' });
  sse({ op: 0x0f16, pfx: 0xf3, mn: 'movshdup', ops: 'Vps,Wps', exec: 'movDupPs(true)' });
  sse({ op: 0x0f17, mod: 'mem', mn: 'movhps', ops: 'Mq,Vq', exec: 'movHighStore()' });
  sse({ op: 0x0f17, pfx: 0x66, mod: 'mem', mn: 'movhpd', ops: 'Mq,Vq', exec: 'movHighStore()' });
  sse({ op: 0x0f28, mn: 'movaps', ops: 'Vps,Wps', exec: 'movLoad128(true)' });
  sse({ op: 0x0f28, pfx: 0x66, mn: 'movapd', ops: 'Vpd,Wpd', exec: 'movLoad128(true)' });
  sse({ op: 0x0f29, mn: 'movaps', ops: 'Wps,Vps', exec: 'movStore128(true)' });
  sse({ op: 0x0f29, pfx: 0x66, mn: 'movapd', ops: 'Wpd,Vpd', exec: 'movStore128(true)' });
  sse({ op: 0x0f2b, mod: 'mem', mn: 'movntps', ops: 'Mps,Vps', exec: 'movStore128(true)' });
  sse({ op: 0x0f2b, pfx: 0x66, mod: 'mem', mn: 'movntpd', ops: 'Mpd,Vpd', exec: 'movStore128(true)' });
  sse({ op: 0x0f50, mod: 'reg', mn: 'movmskps', ops: 'Gd,Ups', exec: 'movmskps()' });
  sse({ op: 0x0f50, pfx: 0x66, mod: 'reg', mn: 'movmskpd', ops: 'Gd,Upd', exec: 'movmskpd()' });
  sse({ op: 0x0fc6, mn: 'shufps', ops: 'Vps,Wps,Ib', exec: 'shufps()' });
  sse({ op: 0x0fc6, pfx: 0x66, mn: 'shufpd', ops: 'Vpd,Wpd,Ib', exec: 'shufpd()' });
  // SSE4.1.
  sse({ op: 0x0f3a08, pfx: 0x66, mn: 'roundps', ops: 'Vps,Wps,Ib', exec: 'roundps()' });
  sse({ op: 0x0f3a09, pfx: 0x66, mn: 'roundpd', ops: 'Vpd,Wpd,Ib', exec: 'roundpd()' });
  sse({ op: 0x0f3a0a, pfx: 0x66, mn: 'roundss', ops: 'Vss,Wss,Ib', exec: 'roundss()' });
  sse({ op: 0x0f3a0b, pfx: 0x66, mn: 'roundsd', ops: 'Vsd,Wsd,Ib', exec: 'roundsd()' });
  sse({ op: 0x0f3a0c, pfx: 0x66, mn: 'blendps', ops: 'Vps,Wps,Ib', exec: 'blendps()' });
  sse({ op: 0x0f3a0d, pfx: 0x66, mn: 'blendpd', ops: 'Vpd,Wpd,Ib', exec: 'blendpd()' });
  sse({ op: 0x0f3814, pfx: 0x66, mn: 'blendvps', ops: 'Vps,Wps', exec: 'blendvps()' });
  sse({ op: 0x0f3815, pfx: 0x66, mn: 'blendvpd', ops: 'Vpd,Wpd', exec: 'blendvpd()' });
  sse({ op: 0x0f3a17, pfx: 0x66, mn: 'extractps', ops: 'Ed,Vps,Ib', exec: 'extractps()' });
  sse({ op: 0x0f3a21, pfx: 0x66, mn: 'insertps', ops: 'Vps,Wss,Ib', exec: 'insertps()' });
  sse({ op: 0x0f3a40, pfx: 0x66, mn: 'dpps', ops: 'Vps,Wps,Ib', exec: 'dpps()' });
  sse({ op: 0x0f3a41, pfx: 0x66, mn: 'dppd', ops: 'Vpd,Wpd,Ib', exec: 'dppd()' });
  // MXCSR and cache control (0F AE /0 /1 FXSAVE/FXRSTOR belong to the x87 rows).
  sse({ op: 0x0fae, reg: 2, mod: 'mem', mn: 'ldmxcsr', ops: 'Md', exec: 'ldmxcsr()' });
  sse({ op: 0x0fae, reg: 3, mod: 'mem', mn: 'stmxcsr', ops: 'Md', exec: 'stmxcsr()' });
  sse({ op: 0x0fae, reg: 5, mod: 'reg', mn: 'lfence', ops: '', exec: 'cacheHint()' });
  sse({ op: 0x0fae, reg: 6, mod: 'reg', mn: 'mfence', ops: '', exec: 'cacheHint()' });
  sse({ op: 0x0fae, reg: 7, mod: 'reg', mn: 'sfence', ops: '', exec: 'sfenceOrClflush()' });
  sse({ op: 0x0fae, reg: 7, mod: 'mem', mn: 'clflush', ops: 'Mb', exec: 'sfenceOrClflush()' });
  for (let r = 0; r < 4; r++) {
    const mn = ['prefetchnta', 'prefetcht0', 'prefetcht1', 'prefetcht2'][r];
    sse({ op: 0x0f18, reg: r, mod: 'mem', mn, ops: 'Mb', exec: 'cacheHint()' });
  }
}
// ---- end of SSE/SSE2/SSE3/SSE4.1 floating point ----

export const OPCODES = rows.map((row) => ({ user: row.cf === undefined, ...row }));

/** Rows keyed for lookup: "op" or "op/reg", each a list (mandatory-prefix variants). */
export function indexRows(list = OPCODES) {
  const map = new Map();
  for (const row of list) {
    const key = row.reg === undefined ? `${row.op}` : `${row.op}/${row.reg}`;
    if (!map.has(key)) map.set(key, []);
    map.get(key).push(row);
  }
  return map;
}

/**
 * Opcodes that take a ModRM byte (any E/G/M/R/S/C/D operand, or a group). An
 * addressing letter is followed by a size letter or nothing; an upper-case
 * letter after it makes a fixed register (DX, CL, ES, SS, ...), not ModRM.
 */
export function hasModrm(row) {
  // A ModRM letter followed only by size letters: 'Ev', 'M', 'Sw' - not the registers 'ES', 'DX', 'CL'.
  return row.reg !== undefined || /(^|,)[EGMRSCDVWPQUN][a-z]*(?=,|$)/.test(row.ops);
}
