// The statistics schema (DESIGN §9): every counter tabvm keeps, with a unit,
// a kind and a description, in the manner of KVM's binary stats. The same
// schema serves every engine; the generator turns it into STAT_* offsets for
// the core (core-as/generated/stats.ts) and a typed copy for the host.
//
// kind: 'cumulative' (only grows), 'instant' (a current value), 'peak' (highest seen).
// Counters are u64 at STATS + 8 × index in the shared memory.

export const STATS_SCHEMA = [
  {
    name: 'instructions',
    unit: 'instructions',
    kind: 'cumulative',
    description:
      'Guest instructions executed, including ones that raised an exception (a REP string instruction counts once per chunk of iterations it runs)',
  },
  {
    name: 'exceptions',
    unit: 'events',
    kind: 'cumulative',
    description: 'CPU exceptions delivered to the guest (faults and traps, all vectors)',
  },
  { name: 'page_faults', unit: 'events', kind: 'cumulative', description: 'Page faults (#PF) raised' },
  { name: 'general_protection_faults', unit: 'events', kind: 'cumulative', description: 'General-protection faults (#GP) raised' },
  { name: 'double_faults', unit: 'events', kind: 'cumulative', description: 'Double faults (#DF) delivered' },
  { name: 'triple_faults', unit: 'events', kind: 'cumulative', description: 'Triple faults (the machine resets)' },
  { name: 'software_interrupts', unit: 'events', kind: 'cumulative', description: 'INT n, INT3, INTO and INT1 executed' },
  { name: 'external_interrupts', unit: 'events', kind: 'cumulative', description: 'Interrupts taken from the interrupt controller' },
  { name: 'page_walks', unit: 'events', kind: 'cumulative', description: 'Software-TLB misses that walked the page tables' },
  { name: 'tlb_flushes', unit: 'events', kind: 'cumulative', description: 'Whole-TLB flushes (CR3, CR0, CR4 writes, task switches)' },
  { name: 'tlb_page_flushes', unit: 'events', kind: 'cumulative', description: 'Single-page TLB flushes (INVLPG)' },
  { name: 'io_reads', unit: 'accesses', kind: 'cumulative', description: 'I/O port reads (IN, INS)' },
  { name: 'io_writes', unit: 'accesses', kind: 'cumulative', description: 'I/O port writes (OUT, OUTS)' },
  { name: 'halts', unit: 'events', kind: 'cumulative', description: 'HLT instructions executed' },
  {
    name: 'unimplemented_opcodes',
    unit: 'events',
    kind: 'cumulative',
    description: 'Instructions the table names but the core does not implement (#UD raised)',
  },
  { name: 'jit_compiles', unit: 'modules', kind: 'cumulative', description: 'JIT modules compiled (the JIT is not built yet: always 0)' },
  {
    name: 'jit_invalidations',
    unit: 'events',
    kind: 'cumulative',
    description: 'JIT code invalidated by writes (the JIT is not built yet: always 0)',
  },
];
