// Hand-written snippets for the flow family's differential tests: each one
// runs on the 32-bit reference and on tabvm (see reference.ts). Addresses:
// DATA at 0x00200000 (8 KiB), CODE at 0x00300000; everything else faults.

import { CODE_ADDR, DATA_ADDR, FLAG_DF, FLAG_IF, FLAG_IOPL, type FlowCase } from './reference.js';

const CF = 0x1;
const PF = 0x4;
const AF = 0x10;
const ZF = 0x40;
const SF = 0x80;
const OF = 0x800;

export const le32 = (v: number): number[] => [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];
const le16 = (v: number): number[] => [v & 0xff, (v >>> 8) & 0xff];
const D = (off: number): number => DATA_ADDR + off;
const C = (off: number): number => CODE_ADDR + off;
const ADD_EAX_1 = [0x05, ...le32(1)];
const bytes = (n: number, f: (i: number) => number): number[] => Array.from({ length: n }, (_, i) => f(i) & 0xff);

// ---------- stack ----------

export const STACK_CASES: FlowCase[] = [
  { label: 'push eax; push ecx; push esp; push ebp', code: [0x50, 0x51, 0x54, 0x55] },
  { label: 'pop eax; pop ebx; pop esp', code: [0x58, 0x5b, 0x5c] },
  { label: 'push ax; pop cx; push sp (16-bit operands)', code: [0x66, 0x50, 0x66, 0x59, 0x66, 0x54] },
  { label: 'pop esp then push esp', code: [0x5c, 0x54], patches: [{ offset: 0x1000, bytes: le32(D(0x800)) }] },
  {
    label: 'push imm32; push imm8; push word imm8; push word imm16',
    code: [0x68, ...le32(0xdeadbeef), 0x6a, 0xff, 0x66, 0x6a, 0x80, 0x66, 0x68, 0x34, 0x12],
  },
  {
    label: 'push dword [ebx]; push dword [esp]; push dword [esp+8]; push word [ebx+2]',
    code: [0xff, 0x33, 0xff, 0x34, 0x24, 0xff, 0x74, 0x24, 0x08, 0x66, 0xff, 0x73, 0x02],
  },
  { label: 'pop dword [esp] (address after the pop)', code: [0x8f, 0x04, 0x24] },
  { label: 'pop dword [esp+4]', code: [0x8f, 0x44, 0x24, 0x04] },
  { label: 'pop dword [esp+ecx*4-8]', code: [0x8f, 0x44, 0x8c, 0xf8] },
  { label: 'pop dword [ebx]', code: [0x8f, 0x03] },
  { label: 'pop dword [ebx+ecx]', code: [0x8f, 0x04, 0x0b] },
  { label: 'pop word [esp]', code: [0x66, 0x8f, 0x04, 0x24] },
  { label: 'pop eax (8f c0); pop esp (8f c4)', code: [0x8f, 0xc0, 0x8f, 0xc4] },
  { label: 'pushad', code: [0x60] },
  { label: 'popad (skips esp)', code: [0x61] },
  { label: 'pushaw; popaw', code: [0x66, 0x60, 0x66, 0x61] },
  { label: 'popaw', code: [0x66, 0x61], regs: { eax: 0xaaaaaaaa, ecx: 0xbbbbbbbb, esp: D(0x1000) } },
  { label: 'pushad; popad round trip', code: [0x60, 0x61] },
  { label: 'pushfd (CF ZF DF)', code: [0x9c], eflags: CF | ZF | FLAG_DF },
  { label: 'pushfd (SF OF PF AF)', code: [0x9c], eflags: SF | OF | PF | AF },
  { label: 'pushfw', code: [0x66, 0x9c], eflags: CF | SF },
  {
    label: 'popfd at CPL 3 leaves IF and IOPL',
    code: [0x9d],
    patches: [{ offset: 0x1000, bytes: le32(0x00003cd5) }],
    compareFlags: FLAG_IF | FLAG_IOPL,
  },
  {
    label: 'popfd clears flags',
    code: [0x9d],
    eflags: CF | ZF | SF | FLAG_DF,
    patches: [{ offset: 0x1000, bytes: le32(0x00000002) }],
    compareFlags: FLAG_IF | FLAG_IOPL,
  },
  { label: 'popfw', code: [0x66, 0x9d], patches: [{ offset: 0x1000, bytes: le16(0x3c95) }], compareFlags: FLAG_IF | FLAG_IOPL },
  { label: 'pushfd; popfd round trip', code: [0x9c, 0x9d], eflags: CF | OF | FLAG_DF, compareFlags: FLAG_IF | FLAG_IOPL },
  { label: 'enter 16, 0', code: [0xc8, 0x10, 0x00, 0x00] },
  { label: 'enter 8, 1', code: [0xc8, 0x08, 0x00, 0x01] },
  { label: 'enter 0, 3', code: [0xc8, 0x00, 0x00, 0x03] },
  { label: 'enter 4, 33 (level mod 32 = 1)', code: [0xc8, 0x04, 0x00, 0x21] },
  { label: 'enter 0, 31', code: [0xc8, 0x00, 0x00, 0x1f] },
  { label: 'o16 enter 4, 2', code: [0x66, 0xc8, 0x04, 0x00, 0x02] },
  { label: 'leave', code: [0xc9] },
  { label: 'o16 leave', code: [0x66, 0xc9] },
  { label: 'enter 8, 2; leave', code: [0xc8, 0x08, 0x00, 0x02, 0xc9] },
  { label: 'push with ESP at the bottom of DATA faults', code: [0x50], regs: { esp: D(0) } },
  { label: 'pop with ESP at the end of DATA faults', code: [0x58], regs: { esp: D(0x2000) } },
  { label: 'pop dword [edi] to an unmapped page leaves ESP', code: [0x8f, 0x07], regs: { edi: 0x00400000 } },
];

// ---------- near control transfers ----------

const JCC_FLAGS = [0, CF, ZF, CF | ZF, SF, OF, SF | OF, PF, ZF | SF, ZF | OF];

export const CONTROL_CASES: FlowCase[] = [];
for (let cc = 0; cc < 16; cc++) {
  for (const f of JCC_FLAGS) {
    const flags = `[${f.toString(16)}]`;
    CONTROL_CASES.push({ label: `j${cc.toString(16)} short ${flags}`, code: [0x70 + cc, 0x05, ...ADD_EAX_1], eflags: f });
    CONTROL_CASES.push({ label: `j${cc.toString(16)} near ${flags}`, code: [0x0f, 0x80 + cc, ...le32(5), ...ADD_EAX_1], eflags: f });
  }
}
CONTROL_CASES.push(
  { label: 'jcc backwards (loop by jnz)', code: [0x83, 0xe9, 0x01, 0x75, 0xfb], regs: { ecx: 7 } },
  { label: 'jmp short', code: [0xeb, 0x05, ...ADD_EAX_1, ...ADD_EAX_1] },
  { label: 'jmp near', code: [0xe9, ...le32(5), ...ADD_EAX_1, ...ADD_EAX_1] },
  { label: 'jmp eax', code: [0xff, 0xe0, ...ADD_EAX_1], regs: { eax: C(7) } },
  { label: 'jmp [ebx]', code: [0xff, 0x23, ...ADD_EAX_1], patches: [{ offset: 0x100, bytes: le32(C(7)) }] },
  { label: 'o16 jmp near truncates the target', code: [0x66, 0xe9, 0x00, 0x00] },
  { label: 'o16 jmp short truncates the target', code: [0x66, 0xeb, 0x00] },
  { label: 'o16 jmp ax', code: [0x66, 0xff, 0xe0], regs: { eax: C(3) } },
  { label: 'call rel32; pop eax', code: [0xe8, ...le32(1), 0xcc, 0x58] },
  { label: 'call; ret', code: [0xe8, ...le32(2), 0xeb, 0x01, 0xc3] },
  { label: 'call; ret 8', code: [0xe8, ...le32(2), 0xeb, 0x03, 0xc2, 0x08, 0x00] },
  { label: 'call eax', code: [0xff, 0xd0, 0xcc, 0x58], regs: { eax: C(3) } },
  { label: 'call [ebx]', code: [0xff, 0x13, 0xcc, 0x58], patches: [{ offset: 0x100, bytes: le32(C(3)) }] },
  { label: 'call [esp] reads before the push', code: [0xff, 0x14, 0x24, 0xcc, 0x58], patches: [{ offset: 0x1000, bytes: le32(C(4)) }] },
  { label: 'call with a faulting push changes nothing', code: [0xe8, ...le32(0)], regs: { esp: D(0) } },
  { label: 'ret with ESP past DATA faults', code: [0xc3], regs: { esp: D(0x2000) } },
  { label: 'o16 ret pops 16 bits', code: [0x66, 0xc3], patches: [{ offset: 0x1000, bytes: le32(0x00305678) }] },
  { label: 'ret 4 to the next instruction', code: [0xc2, 0x04, 0x00, ...ADD_EAX_1], patches: [{ offset: 0x1000, bytes: le32(C(3)) }] },
  { label: 'loop', code: [...ADD_EAX_1, 0xe2, 0xf9], regs: { ecx: 5 } },
  { label: 'loopne until ZF', code: [0x83, 0xc0, 0x01, 0xe0, 0xfb], regs: { eax: 0xfffffffd, ecx: 10 } },
  { label: 'loopne runs out', code: [0x83, 0xc0, 0x01, 0xe0, 0xfb], regs: { eax: 0x100, ecx: 4 } },
  { label: 'loope while ZF', code: [0x83, 0xc0, 0x00, 0xe1, 0xfb], regs: { eax: 0, ecx: 6 } },
  { label: 'loope stops at once', code: [0x83, 0xc0, 0x00, 0xe1, 0xfb], regs: { eax: 1, ecx: 6 } },
  { label: 'a32 loop counts cx only (67 prefix)', code: [...ADD_EAX_1, 0x67, 0xe2, 0xf8], regs: { ecx: 0x12340003 } },
  { label: 'a16 loop with cx = 0 runs 65536 times', code: [0x67, 0xe2, 0xfd], regs: { ecx: 0xabcd0000 } },
  { label: 'jecxz taken', code: [0xe3, 0x05, ...ADD_EAX_1], regs: { ecx: 0 } },
  { label: 'jecxz not taken', code: [0xe3, 0x05, ...ADD_EAX_1], regs: { ecx: 0x10000 } },
  { label: 'jcxz (67) taken on cx = 0', code: [0x67, 0xe3, 0x05, ...ADD_EAX_1], regs: { ecx: 0x10000 } },
  { label: 'jcxz (67) not taken', code: [0x67, 0xe3, 0x05, ...ADD_EAX_1], regs: { ecx: 0x10001 } },
);

// ---------- string instructions ----------

const equalRun = (n: number, diffAt: number): { offset: number; bytes: number[] }[] => {
  const a = bytes(n, (i) => i * 7 + 3);
  const b = a.map((v, i) => (i === diffAt ? v ^ 0x5a : v));
  return [
    { offset: 0x200, bytes: a },
    { offset: 0x400, bytes: b },
  ];
};

export const STRING_CASES: FlowCase[] = [
  { label: 'movsb', code: [0xa4] },
  { label: 'movsw std', code: [0x66, 0xa5], eflags: FLAG_DF },
  { label: 'movsd', code: [0xa5] },
  { label: 'movsd std', code: [0xa5], eflags: FLAG_DF },
  { label: 'rep movsb 100', code: [0xf3, 0xa4], regs: { ecx: 100 } },
  { label: 'rep movsd 0x100', code: [0xf3, 0xa5], regs: { ecx: 0x100, esi: D(0x100), edi: D(0x900) } },
  { label: 'rep movsw odd addresses', code: [0xf3, 0x66, 0xa5], regs: { ecx: 0x81, esi: D(0x101), edi: D(0x703) } },
  { label: 'rep movsd std', code: [0xf3, 0xa5], eflags: FLAG_DF, regs: { ecx: 0x40, esi: D(0x600), edi: D(0x900) } },
  { label: 'rep movsb std overlapping', code: [0xf3, 0xa4], eflags: FLAG_DF, regs: { ecx: 0x40, esi: D(0x640), edi: D(0x630) } },
  { label: 'rep movsb overlapping forward (replicates)', code: [0xf3, 0xa4], regs: { ecx: 50, esi: D(0x200), edi: D(0x201) } },
  { label: 'rep movsd overlapping forward by 2', code: [0xf3, 0xa5], regs: { ecx: 20, esi: D(0x200), edi: D(0x202) } },
  { label: 'rep movsb destination below source', code: [0xf3, 0xa4], regs: { ecx: 40, esi: D(0x203), edi: D(0x200) } },
  { label: 'rep movsb 0x1000 across a page', code: [0xf3, 0xa4], regs: { ecx: 0x1000, esi: D(0x10), edi: D(0xf00) } },
  { label: 'rep movsd 0x400 page to page', code: [0xf3, 0xa5], regs: { ecx: 0x400, esi: D(0x1000), edi: D(0) } },
  { label: 'rep movsw with ecx = 0', code: [0xf3, 0x66, 0xa5], regs: { ecx: 0 } },
  { label: 'repne movsb repeats like rep', code: [0xf2, 0xa4], regs: { ecx: 9 }, eflags: ZF },
  { label: 'cs: rep movsb (source override)', code: [0x2e, 0xf3, 0xa4], regs: { ecx: 3, esi: C(0) } },
  { label: 'es: movsd', code: [0x26, 0xa5] },
  { label: 'a16 rep movsb uses si/di/cx', code: [0x67, 0xf3, 0xa4], regs: { ecx: 0x00050004 } },
  { label: 'stosb', code: [0xaa] },
  { label: 'stosd std', code: [0xab], eflags: FLAG_DF },
  { label: 'rep stosb', code: [0xf3, 0xaa], regs: { ecx: 0x123, edi: D(0x300) } },
  { label: 'rep stosw std', code: [0xf3, 0x66, 0xab], eflags: FLAG_DF, regs: { ecx: 0x50, edi: D(0x700) } },
  { label: 'rep stosd across a page', code: [0xf3, 0xab], regs: { ecx: 0x700, edi: D(0x42) } },
  { label: 'rep stosb across a page', code: [0xf3, 0xaa], regs: { ecx: 0x1234, edi: D(0x333) } },
  { label: 'lodsb', code: [0xac] },
  { label: 'lodsw std', code: [0x66, 0xad], eflags: FLAG_DF },
  { label: 'lodsd', code: [0xad] },
  { label: 'rep lodsb', code: [0xf3, 0xac], regs: { ecx: 10 } },
  { label: 'cmpsb', code: [0xa6] },
  { label: 'cmpsd', code: [0xa7] },
  { label: 'cmpsw std', code: [0x66, 0xa7], eflags: FLAG_DF },
  { label: 'repe cmpsb stops at a difference', code: [0xf3, 0xa6], regs: { ecx: 20 }, patches: equalRun(20, 12) },
  { label: 'repe cmpsb runs out equal', code: [0xf3, 0xa6], regs: { ecx: 16 }, patches: equalRun(16, 99) },
  {
    label: 'repne cmpsb stops at an equal byte',
    code: [0xf2, 0xa6],
    regs: { ecx: 20 },
    patches: [
      { offset: 0x200, bytes: bytes(20, (i) => i) },
      { offset: 0x400, bytes: bytes(20, (i) => (i === 7 ? 7 : i + 100)) },
    ],
  },
  { label: 'repe cmpsd', code: [0xf3, 0xa7], regs: { ecx: 8 }, patches: equalRun(32, 21) },
  { label: 'repe cmpsb with ecx = 0 keeps flags', code: [0xf3, 0xa6], regs: { ecx: 0 }, eflags: CF | SF },
  { label: 'scasb', code: [0xae] },
  { label: 'scasd', code: [0xaf], regs: { edi: D(0x400) }, patches: [{ offset: 0x400, bytes: le32(0x11223344) }] },
  {
    label: 'repne scasb finds a byte',
    code: [0xf2, 0xae],
    regs: { eax: 0x42, ecx: 64 },
    patches: [{ offset: 0x400, bytes: bytes(64, (i) => (i === 30 ? 0x42 : 0x10 + i)) }],
  },
  {
    label: 'repne scasb runs out',
    code: [0xf2, 0xae],
    regs: { eax: 0x42, ecx: 32 },
    patches: [{ offset: 0x400, bytes: bytes(32, (i) => i) }],
  },
  {
    label: 'repe scasb over zeros',
    code: [0xf3, 0xae],
    regs: { eax: 0, ecx: 64 },
    patches: [{ offset: 0x400, bytes: bytes(64, (i) => (i < 10 ? 0 : 1)) }],
  },
  {
    label: 'repne scasw std',
    code: [0xf2, 0x66, 0xaf],
    eflags: FLAG_DF,
    regs: { eax: 0xbeef, ecx: 32, edi: D(0x440) },
    patches: [{ offset: 0x400, bytes: bytes(64, (i) => (i === 0x20 ? 0xef : i === 0x21 ? 0xbe : 0)) }],
  },
  // Faults part-way: the registers describe the iterations done and EIP stays at the instruction.
  { label: 'rep movsb into an unmapped page', code: [0xf3, 0xa4], regs: { ecx: 0x40, esi: D(0x100), edi: D(0x1ff0) } },
  { label: 'rep movsb from an unmapped page', code: [0xf3, 0xa4], regs: { ecx: 0x20, esi: D(0x1ff8), edi: D(0x100) } },
  { label: 'rep movsd straddling into an unmapped page', code: [0xf3, 0xa5], regs: { ecx: 8, esi: D(0x100), edi: D(0x1ff6) } },
  { label: 'rep movsd std below DATA', code: [0xf3, 0xa5], eflags: FLAG_DF, regs: { ecx: 8, esi: D(0x8), edi: D(0x800) } },
  { label: 'rep stosb into an unmapped page', code: [0xf3, 0xaa], regs: { ecx: 0x20, edi: D(0x1ff8) } },
  { label: 'rep stosd after a long run into an unmapped page', code: [0xf3, 0xab], regs: { ecx: 0x900, edi: D(0x10) } },
  { label: 'repe cmpsb past DATA', code: [0xf3, 0xa6], regs: { ecx: 0x40, esi: D(0x1ff0), edi: D(0x1ff0) } },
  {
    label: 'repne scasb past DATA',
    code: [0xf2, 0xae],
    regs: { eax: 0x42, ecx: 0x80, edi: D(0x1fc0) },
    patches: [{ offset: 0x1fc0, bytes: bytes(64, () => 0x11) }],
  },
  { label: 'rep lodsd past DATA', code: [0xf3, 0xad], regs: { ecx: 0x10, esi: D(0x1ff0) } },
  { label: 'a16 movsb faults at the 16-bit address', code: [0x67, 0xa4], regs: { esi: 0x00200300 } },
];
