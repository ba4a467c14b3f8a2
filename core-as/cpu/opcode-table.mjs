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
add({ op: 0x0f1f, reg: 0, mn: 'nop', ops: 'Ev', exec: 'nop()', cpu: 'P6' });
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
  return row.reg !== undefined || /(^|,)[EGMRSCD][a-z]*(?=,|$)/.test(row.ops);
}
