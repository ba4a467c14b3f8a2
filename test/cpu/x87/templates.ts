// The x87 instruction forms the random differential test draws from: the
// escape byte, ModRM.reg, and either a memory operand kind ([ebx+disp8],
// filled with a value of that kind) or a register form (rm fixed or random).

export interface Template {
  name: string;
  bytes: number[];
  reg: number;
  mem?: 'f32' | 'f64' | 'f80' | 'i16' | 'i32' | 'i64' | 'bcd' | 'none';
  regForm?: boolean;
  rm?: number;
}

const ARITH = ['fadd', 'fmul', 'fcom', 'fcomp', 'fsub', 'fsubr', 'fdiv', 'fdivr'];
const t: Template[] = [];
for (let r = 0; r < 8; r++) {
  t.push({ name: `${ARITH[r]} m32`, bytes: [0xd8], reg: r, mem: 'f32' });
  t.push({ name: `${ARITH[r]} m64`, bytes: [0xdc], reg: r, mem: 'f64' });
  t.push({ name: `fi${ARITH[r].slice(1)} m32int`, bytes: [0xda], reg: r, mem: 'i32' });
  t.push({ name: `fi${ARITH[r].slice(1)} m16int`, bytes: [0xde], reg: r, mem: 'i16' });
  t.push({ name: `${ARITH[r]} st0, sti`, bytes: [0xd8], reg: r, regForm: true });
  t.push({ name: `dc /${r} sti, st0`, bytes: [0xdc], reg: r, regForm: true });
  t.push({ name: `de /${r} (pop)`, bytes: [0xde], reg: r, regForm: true });
}
t.push(
  { name: 'fld m32', bytes: [0xd9], reg: 0, mem: 'f32' },
  { name: 'fld m64', bytes: [0xdd], reg: 0, mem: 'f64' },
  { name: 'fld m80', bytes: [0xdb], reg: 5, mem: 'f80' },
  { name: 'fild m16', bytes: [0xdf], reg: 0, mem: 'i16' },
  { name: 'fild m32', bytes: [0xdb], reg: 0, mem: 'i32' },
  { name: 'fild m64', bytes: [0xdf], reg: 5, mem: 'i64' },
  { name: 'fbld', bytes: [0xdf], reg: 4, mem: 'bcd' },
  { name: 'fst m32', bytes: [0xd9], reg: 2, mem: 'none' },
  { name: 'fstp m32', bytes: [0xd9], reg: 3, mem: 'none' },
  { name: 'fst m64', bytes: [0xdd], reg: 2, mem: 'none' },
  { name: 'fstp m64', bytes: [0xdd], reg: 3, mem: 'none' },
  { name: 'fstp m80', bytes: [0xdb], reg: 7, mem: 'none' },
  { name: 'fist m16', bytes: [0xdf], reg: 2, mem: 'none' },
  { name: 'fistp m16', bytes: [0xdf], reg: 3, mem: 'none' },
  { name: 'fist m32', bytes: [0xdb], reg: 2, mem: 'none' },
  { name: 'fistp m32', bytes: [0xdb], reg: 3, mem: 'none' },
  { name: 'fistp m64', bytes: [0xdf], reg: 7, mem: 'none' },
  { name: 'fisttp m16', bytes: [0xdf], reg: 1, mem: 'none' },
  { name: 'fisttp m32', bytes: [0xdb], reg: 1, mem: 'none' },
  { name: 'fisttp m64', bytes: [0xdd], reg: 1, mem: 'none' },
  { name: 'fbstp', bytes: [0xdf], reg: 6, mem: 'none' },
  { name: 'fld sti', bytes: [0xd9], reg: 0, regForm: true },
  { name: 'fxch sti', bytes: [0xd9], reg: 1, regForm: true },
  { name: 'fst sti', bytes: [0xdd], reg: 2, regForm: true },
  { name: 'fstp sti', bytes: [0xdd], reg: 3, regForm: true },
  { name: 'ffree sti', bytes: [0xdd], reg: 0, regForm: true },
  { name: 'ffreep sti', bytes: [0xdf], reg: 0, regForm: true },
  { name: 'fucom sti', bytes: [0xdd], reg: 4, regForm: true },
  { name: 'fucomp sti', bytes: [0xdd], reg: 5, regForm: true },
  { name: 'fucompp', bytes: [0xda], reg: 5, regForm: true, rm: 1 },
  { name: 'fcompp', bytes: [0xde], reg: 3, regForm: true, rm: 1 },
  { name: 'fucomi', bytes: [0xdb], reg: 5, regForm: true },
  { name: 'fcomi', bytes: [0xdb], reg: 6, regForm: true },
  { name: 'fucomip', bytes: [0xdf], reg: 5, regForm: true },
  { name: 'fcomip', bytes: [0xdf], reg: 6, regForm: true },
  { name: 'fnop', bytes: [0xd9], reg: 2, regForm: true, rm: 0 },
  { name: 'fnclex', bytes: [0xdb], reg: 4, regForm: true, rm: 2 },
  { name: 'fninit', bytes: [0xdb], reg: 4, regForm: true, rm: 3 },
  { name: 'fldcw', bytes: [0xd9], reg: 5, mem: 'i16' },
  { name: 'fnstcw', bytes: [0xd9], reg: 7, mem: 'none' },
  { name: 'fnstsw m16', bytes: [0xdd], reg: 7, mem: 'none' },
  // FNSTENV/FNSAVE are not drawn: their images hold FCS/FIP/FDP, which the
  // 64-bit harness cannot reproduce (64-bit CS selector, translated offsets).
);
for (let cc = 0; cc < 4; cc++) {
  t.push({ name: `fcmov /${cc}`, bytes: [0xda], reg: cc, regForm: true });
  t.push({ name: `fcmovn /${cc}`, bytes: [0xdb], reg: cc, regForm: true });
}
const D9_4: Record<number, string> = { 0: 'fchs', 1: 'fabs', 4: 'ftst', 5: 'fxam' };
for (const [rm, name] of Object.entries(D9_4)) t.push({ name, bytes: [0xd9], reg: 4, regForm: true, rm: Number(rm) });
['fld1', 'fldl2t', 'fldl2e', 'fldpi', 'fldlg2', 'fldln2', 'fldz'].forEach((name, rm) =>
  t.push({ name, bytes: [0xd9], reg: 5, regForm: true, rm }),
);
// Exact non-transcendental D9 F0-FF forms.
const D9_EXACT: [number, number, string][] = [
  [6, 4, 'fxtract'],
  [6, 5, 'fprem1'],
  [6, 6, 'fdecstp'],
  [6, 7, 'fincstp'],
  [7, 0, 'fprem'],
  [7, 2, 'fsqrt'],
  [7, 4, 'frndint'],
  [7, 5, 'fscale'],
];
for (const [reg, rm, name] of D9_EXACT) t.push({ name, bytes: [0xd9], reg, regForm: true, rm });

export const X87_TEMPLATES: readonly Template[] = t;
