// The page: starts the machine worker, shows COM1 and the counters, sends keys.

import * as Comlink from 'comlink';
import coreUrl from '../build/core.wasm?url';
import kernelUrl from '../images/tests/build/hello.elf?url';
import type { MachineWorker } from './machine-worker.js';
import { uartTxRing, uartRxRing } from '../host/rings.js';
import { readStats } from '../host/stats.js';

const COM1 = 0;
const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const serial = $<HTMLPreElement>('serial');
const stateText = $<HTMLSpanElement>('state');
const startButton = $<HTMLButtonElement>('start');
const pauseButton = $<HTMLButtonElement>('pause');
const errorText = $<HTMLParagraphElement>('error');
const statsBody = $<HTMLTableElement>('stats').tBodies[0];

function showError(message: string): void {
  errorText.textContent = message;
  errorText.hidden = false;
}

if (!self.crossOriginIsolated) {
  showError(
    'This page is not cross-origin isolated, so it cannot share memory with the machine. Serve it with the headers ' +
      '"Cross-Origin-Opener-Policy: same-origin" and "Cross-Origin-Embedder-Policy: require-corp" (npm start and vite preview do).',
  );
  startButton.disabled = true;
}

const decoder = new TextDecoder();
let memory: WebAssembly.Memory | undefined;
let paused = false;
const worker = Comlink.wrap<MachineWorker>(new Worker(new URL('./machine-worker.ts', import.meta.url), { type: 'module' }));

function refresh(): void {
  if (memory) {
    const bytes = uartTxRing(memory, COM1).read();
    if (bytes.length) serial.textContent += decoder.decode(bytes, { stream: true });
    const rows = readStats(memory)
      .filter((s) => s.value !== 0 || s.name === 'instructions')
      .map(
        (s) => `<tr><td title="${s.description}">${s.name}</td><td class="value">${s.value.toLocaleString()}</td><td>${s.unit}</td></tr>`,
      );
    statsBody.innerHTML = rows.join('');
  }
  requestAnimationFrame(refresh);
}

async function pollState(): Promise<void> {
  const s = await worker.status();
  stateText.textContent = s.state === 'stopped' && s.reason === 'exit' ? 'the guest exited' : s.state;
  if (s.state === 'stopped') {
    pauseButton.disabled = true;
    return;
  }
  setTimeout(pollState, 250);
}

startButton.addEventListener('click', async () => {
  startButton.disabled = true;
  stateText.textContent = 'loading…';
  try {
    memory = await worker.boot({ coreUrl, kernelUrl, kernelName: 'hello.elf', memoryMiB: 32 });
    pauseButton.disabled = false;
    requestAnimationFrame(refresh);
    void pollState();
  } catch (e) {
    showError(`The machine could not start: ${(e as Error).message}`);
    startButton.disabled = false;
  }
});

pauseButton.addEventListener('click', async () => {
  paused = !paused;
  if (paused) await worker.pause();
  else await worker.resume();
  pauseButton.textContent = paused ? 'Resume' : 'Pause';
});

serial.addEventListener('keydown', (event) => {
  if (!memory || event.ctrlKey || event.metaKey || event.altKey) return;
  const key = event.key === 'Enter' ? '\r' : event.key === 'Backspace' ? '\x7f' : event.key.length === 1 ? event.key : '';
  if (!key) return;
  event.preventDefault();
  uartRxRing(memory, COM1).write(new TextEncoder().encode(key));
});
