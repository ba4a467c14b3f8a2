import { describe, it, expect } from 'vitest';
import { disassemble } from '../../host/disasm.js';
import { OPCODES, UNIMPLEMENTED } from '../../host/generated/opcode-table.js';

const dis = (hexText: string, bits: 16 | 32 = 32, address = 0) => {
  const bytes = Uint8Array.from(hexText.split(' ').map((h) => parseInt(h, 16)));
  return disassemble(bytes, 0, { bits, address });
};

describe('disassembler (generated from the opcode table)', () => {
  it.each([
    ['01 d8', 'add eax, ebx', 2],
    ['66 01 d8', 'add ax, bx', 3],
    ['00 e0', 'add al, ah', 2],
    ['83 44 24 08 ff', 'add dword [esp+0x8], 0xffffffff', 5],
    ['81 3d 78 56 34 12 01 00 00 00', 'cmp dword [0x12345678], 0x1', 10],
    ['8b 84 8b 00 01 00 00', 'mov eax, dword [ebx+ecx*4+0x100]', 7],
    ['26 8a 07', 'mov al, byte [es:edi]', 3],
    ['f0 0f b1 0a', 'lock cmpxchg dword [edx], ecx', 4],
    ['f3 a5', 'rep movsd', 2],
    ['f3 a6', 'repe cmpsb', 2],
    ['f2 ae', 'repne scasb', 2],
    ['f3 90', 'pause', 2],
    ['0f c8', 'bswap eax', 2],
    ['c8 10 00 01', 'enter 0x10, 0x1', 4],
    ['ea 00 10 00 00 08 00', 'jmp 0x8:0x1000', 7],
    ['0f 22 c0', 'mov cr0, eax', 3],
    ['0f 01 15 00 20 00 00', 'lgdt [0x2000]', 7],
    ['d3 e0', 'shl eax, cl', 2],
    ['c1 f8 1f', 'sar eax, 0x1f', 3],
    ['ec', 'in al, dx', 1],
    ['0f fe c1', 'paddd mm0, mm1', 3],
    ['66 0f fe c1', 'paddd xmm0, xmm1', 4],
    ['66 0f fe 43 10', 'paddd xmm0, xmmword [ebx+0x10]', 5],
    ['0f 6f 0b', 'movq mm1, qword [ebx]', 3],
    ['f3 0f 6f 03', 'movdqu xmm0, xmmword [ebx]', 4],
    ['66 f3 0f 6f 03', 'movdqu xmm0, xmmword [ebx]', 5],
    ['66 0f 71 d0 03', 'psrlw xmm0, 0x3', 5],
    ['66 0f 3a 0f ca 04', 'palignr xmm1, xmm2, 0x4', 6],
    ['66 0f c4 c8 02', 'pinsrw xmm1, eax, 0x2', 5],
    ['66 0f d7 c1', 'pmovmskb eax, xmm1', 4],
    ['f3 0f b8 c1', 'popcnt eax, ecx', 4],
  ])('%s → %s', (bytes, text, length) => {
    const d = dis(bytes);
    expect(d.text).toBe(text);
    expect(d.length).toBe(length);
  });

  it('decodes 16-bit addressing and operand sizes', () => {
    expect(dis('8b 46 fe', 16).text).toBe('mov ax, word [bp-0x2]');
    expect(dis('8b 00', 16).text).toBe('mov ax, word [bx+si]');
    expect(dis('66 8b 06 34 12', 16).text).toBe('mov eax, dword [0x1234]');
    expect(dis('b8 34 12', 16)).toMatchObject({ text: 'mov ax, 0x1234', length: 3 });
  });

  it('resolves relative branch targets from the instruction address', () => {
    expect(dis('eb fe', 32, 0x1000).text).toBe('jmp 0x1000');
    expect(dis('74 10', 32, 0x1000).text).toBe('je 0x1012');
    expect(dis('e8 00 00 00 00', 32, 0x1000).text).toBe('call 0x1005');
  });

  it('reports undefined encodings as (bad) instead of guessing', () => {
    expect(dis('0f 0f').text).toBe('(bad)');
    expect(dis('8d c0').text).toBe('(bad)'); // lea with a register operand
    expect(dis('ff ff').text).toBe('(bad)'); // group 5 /7
  });

  it('rejects instructions longer than 15 bytes', () => {
    expect(dis('66 66 66 66 66 66 66 66 66 66 66 66 66 66 66 90').text).toBe('(bad)');
  });

  it('has a row with a mnemonic for every opcode the table defines', () => {
    for (const row of OPCODES) expect(row.mn).toMatch(/^[a-z0-9]+$/);
  });

  it('every row of the opcode table has a handler in the core', () => {
    const missing = UNIMPLEMENTED.map((r) => `${r.op.toString(16)}${r.reg !== undefined ? '/' + r.reg : ''} ${r.mn}`);
    expect(missing).toEqual([]);
  });
});

describe('disassembler against the random instruction generator', () => {
  it('decodes every generated instruction to the generator row with the generator length', async () => {
    const { loadOpcodeTable } = await import('./differential/table.js');
    const { Generator } = await import('./differential/generator.js');
    const { encodeRaw } = await import('./differential/x86.js');
    const table = await loadOpcodeTable();
    const gen = new Generator({ seed: 0x5eed, rows: table.rows });
    let checked = 0;
    for (let i = 0; i < 4000; i++) {
      const tc = gen.generate();
      if (!tc) continue;
      for (const insn of tc.insns) {
        const bytes = Uint8Array.from(encodeRaw(insn));
        const d = disassemble(bytes, 0, { bits: 32 });
        expect(d.length, `${Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join(' ')} (${insn.row.mn})`).toBe(bytes.length);
        expect(d.row?.mn, d.text).toBe(insn.row.mn);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(4000);
  });
});
