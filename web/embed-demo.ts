// The embedding page's second demo: a machine made with createMachine(),
// showing its screen, driven by sendKeys() and snapshot().

import { createMachine, type TabVmMachine } from './embed.js';
import { keepCrisp } from './lib/crisp.js';

const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;
const start = $<HTMLButtonElement>('api-start');
const keys = $<HTMLButtonElement>('api-keys');
const snap = $<HTMLButtonElement>('api-snap');
const stateText = $<HTMLSpanElement>('api-state');
const log = $<HTMLPreElement>('api-log');
let vm: TabVmMachine | undefined;
const screen = $<HTMLCanvasElement>('api-screen');
keepCrisp(screen, screen.parentElement as HTMLElement);

async function run(): Promise<void> {
  start.disabled = true;
  try {
    vm = await createMachine({
      name: 'api demo',
      memoryMiB: 64,
      cmdline: 'console=ttyS0 console=tty0 noapic tsc=reliable nokaslr panic=-1 cryptomgr.notests',
      readOnly: true,
      screen,
    });
    (window as unknown as { apiMachine: TabVmMachine }).apiMachine = vm;
    vm.addEventListener('state', (e) => (stateText.textContent = (e as CustomEvent<{ state: string }>).detail.state));
    stateText.textContent = vm.state;
    keys.disabled = false;
    snap.disabled = false;
  } catch (e) {
    stateText.textContent = `error: ${(e as Error).message}`;
    start.disabled = false;
  }
}

start.addEventListener('click', () => void run());
keys.addEventListener('click', () => vm?.sendKeys('uname -a\n'));
snap.addEventListener('click', async () => {
  const s = await vm?.snapshot();
  if (s) log.textContent = `${s.time} ${s.state}\n${(s.text ?? []).join('\n')}`;
});
if (new URLSearchParams(location.search).has('autostart')) void run();
