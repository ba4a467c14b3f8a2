// Embedding tabvm in another page: the <tab-vm> element and createMachine().
//
//   <tab-vm kernel="images/vmlinuz" initrd="images/initrd.gz" memory="64"
//           cmdline="console=ttyS0" console="serial" autostart></tab-vm>
//
//   const vm = await createMachine({ kernel, initrd, memoryMiB: 64 });
//   vm.addEventListener('serial', (e) => console.log(e.detail));
//   vm.serialWrite('uname -a\n');  vm.sendKeys('ls\n');
//   await vm.pause(); await vm.resume(); const shot = await vm.snapshot();
//
// The page must be cross-origin isolated (hosting.html). Disks given by URL
// are read lazily by Range requests; with `readonly` the guest's writes stay
// in memory, otherwise they persist in browser storage under the machine id.

import { Terminal } from '@xterm/xterm';
import '@xterm/xterm/css/xterm.css';
// Also as text for the element's shadow root: a page that loads only tabvm-embed.js has no xterm stylesheet of its own.
import xtermCss from '@xterm/xterm/css/xterm.css?inline';
import { VmHandle } from './lib/vm.js';
import { keepCrisp } from './lib/crisp.js';
import { DEFAULT_CMDLINE, defaultMachine, slotFor, type DiskConfig, type MachineConfig } from './lib/config.js';

export interface CreateMachineOptions {
  /** Linux kernel and initrd URLs (default: the prepared images next to the app). */
  kernel?: string;
  initrd?: string;
  cmdline?: string;
  /** Disk image URLs; the drive is chosen from the name (.iso CD-ROM, floppy sizes, else hard disk). */
  disks?: string[];
  /** Boot the disks with SeaBIOS instead of the kernel. */
  firmware?: boolean;
  memoryMiB?: number;
  /** A stable id keeps the disk changes across page loads (default: a new id each time). */
  id?: string;
  name?: string;
  /** Keep disk changes in memory only. */
  readOnly?: boolean;
  /** Draw the screen here. */
  screen?: HTMLCanvasElement;
  /** false: return the machine unstarted, to add listeners first (its first 'state' events), then `await vm.start()`. */
  start?: boolean;
}

/** What snapshot() returns: the picture, the text screen, the serial log and the counters at one moment. */
export interface MachineSnapshot {
  time: string;
  state: string;
  /** The screen's pixels (also without a canvas, e.g. console="serial"); undefined before a mode is set. */
  screen: ImageData | undefined;
  /** The same picture as a PNG data: URL. */
  screenPng: string | undefined;
  text: string[] | undefined;
  serial: string;
  counters: { name: string; value: number; unit: string }[];
}

/** A running machine: VmHandle's events (serial, state, progress) and controls, plus snapshot(). */
export class TabVmMachine extends VmHandle {
  screenCanvas: HTMLCanvasElement | undefined;

  async snapshot(): Promise<MachineSnapshot> {
    const screen = this.screenImage();
    let screenPng: string | undefined;
    if (screen) {
      const c = document.createElement('canvas');
      c.width = screen.width;
      c.height = screen.height;
      c.getContext('2d')?.putImageData(screen, 0, 0);
      screenPng = c.toDataURL('image/png');
    }
    return {
      time: new Date().toISOString(),
      state: this.state,
      screen,
      screenPng,
      text: this.textScreen(),
      serial: this.serialLog,
      counters: this.stats().map(({ name, value, unit }) => ({ name, value, unit })),
    };
  }
}

export function machineConfig(o: CreateMachineOptions): MachineConfig {
  const base = defaultMachine(o.name ?? 'embedded machine');
  const abs = (u: string): string => new URL(u, document.baseURI).href;
  const disks: DiskConfig[] = (o.disks ?? []).map((url) => {
    const name = decodeURIComponent(new URL(abs(url)).pathname.split('/').pop() || 'disk');
    return { slot: slotFor(name, 0), source: { type: 'url', url: abs(url), name } };
  });
  const m: MachineConfig = {
    ...base,
    id: o.id ?? (o.readOnly ? `ro-${base.id}` : base.id),
    memoryMiB: o.memoryMiB ?? base.memoryMiB,
    kernelUrl: o.kernel ? abs(o.kernel) : base.kernelUrl,
    initrdUrl: o.initrd ? abs(o.initrd) : o.kernel ? '' : base.initrdUrl,
    cmdline: o.cmdline ?? DEFAULT_CMDLINE,
    disks,
    persistDisks: !o.readOnly,
  };
  if (o.firmware) {
    m.boot = 'firmware';
    m.bootOrder = disks[0]?.slot === 'cdrom' ? 'd' : disks[0]?.slot === 'fda' ? 'a' : 'c';
  }
  return m;
}

/** Create and start a machine. */
export async function createMachine(options: CreateMachineOptions = {}): Promise<TabVmMachine> {
  const vm = new TabVmMachine(machineConfig(options));
  if (options.screen) {
    vm.screenCanvas = options.screen;
    vm.attachScreen(options.screen);
  }
  if (options.start !== false) await vm.start();
  return vm;
}

/**
 * <tab-vm>: attributes kernel, initrd, cmdline, disks (space-separated URLs),
 * firmware, memory (MiB), console ("serial" | "screen" | "both", default both),
 * autostart, readonly, machine-id. Properties: machine (the TabVmMachine once
 * started); method start(). Events from the machine bubble from the element.
 */
export class TabVmElement extends HTMLElement {
  machine: TabVmMachine | undefined;
  private started = false;

  connectedCallback(): void {
    if (!this.shadowRoot) this.render();
    if (this.hasAttribute('autostart')) void this.start();
  }

  private render(): void {
    const root = this.attachShadow({ mode: 'open' });
    root.innerHTML = `<style>${xtermCss}</style><style>
      :host { display: block; font: 13px system-ui, sans-serif; border: 1px solid #8886; padding: 6px; }
      canvas { background: #000; image-rendering: pixelated; display: block; }
      [hidden] { display: none !important; }
      .term { height: 16rem; overflow: hidden; }
      .bar { display: flex; gap: 6px; align-items: center; margin-bottom: 4px; }
      .error { color: #c0392b; }
    </style>
    <div class="bar"><button part="start" type="button">Start</button><span part="state" class="state">off</span></div>
    <p class="error" hidden></p>
    <canvas part="screen" width="720" height="400" tabindex="0"></canvas>
    <div part="terminal" class="term"></div>`;
    // The page's own sheets too (the app's pages style the console with them).
    for (const s of document.querySelectorAll('style, link[rel="stylesheet"]')) root.prepend(s.cloneNode(true));
    root.querySelector('button')?.addEventListener('click', () => void this.start());
    // Only the consoles the element shows take room, before the start too.
    (root.querySelector('canvas') as HTMLCanvasElement).hidden = this.consoleChoice === 'serial';
    (root.querySelector('.term') as HTMLDivElement).hidden = this.consoleChoice === 'screen';
    keepCrisp(root.querySelector('canvas') as HTMLCanvasElement, this);
  }

  get consoleChoice(): 'serial' | 'screen' | 'both' {
    const c = this.getAttribute('console');
    return c === 'serial' || c === 'screen' ? c : 'both';
  }

  async start(): Promise<TabVmMachine | undefined> {
    if (this.started) return this.machine;
    this.started = true;
    const root = this.shadowRoot as ShadowRoot;
    const canvas = root.querySelector('canvas') as HTMLCanvasElement;
    const termDiv = root.querySelector('.term') as HTMLDivElement;
    const stateText = root.querySelector('.state') as HTMLSpanElement;
    const errorText = root.querySelector('.error') as HTMLParagraphElement;
    const button = root.querySelector('button') as HTMLButtonElement;
    button.disabled = true;
    const choice = this.consoleChoice;
    canvas.hidden = choice === 'serial';
    termDiv.hidden = choice === 'screen';
    const attr = (n: string): string | undefined => this.getAttribute(n) ?? undefined;
    try {
      const vm = new TabVmMachine(
        machineConfig({
          kernel: attr('kernel'),
          initrd: attr('initrd'),
          cmdline: attr('cmdline'),
          disks: attr('disks')?.split(/\s+/).filter(Boolean),
          firmware: this.hasAttribute('firmware'),
          memoryMiB: attr('memory') ? Number(attr('memory')) : undefined,
          readOnly: this.hasAttribute('readonly'),
          id: attr('machine-id'),
          name: attr('name') ?? this.id ?? 'tab-vm',
        }),
      );
      this.machine = vm;
      if (choice !== 'serial') {
        vm.screenCanvas = canvas;
        vm.attachScreen(canvas);
        canvas.addEventListener('keydown', (e) => vm.key(e.code, true) && e.preventDefault());
        canvas.addEventListener('keyup', (e) => vm.key(e.code, false) && e.preventDefault());
      }
      if (choice !== 'screen') {
        const term = new Terminal({ rows: 16, fontSize: 12 });
        term.open(termDiv);
        term.onData((d) => vm.serialWrite(d));
        vm.addEventListener('serial', (e) => term.write((e as CustomEvent<string>).detail));
      }
      for (const type of ['serial', 'state', 'progress', 'notice']) {
        vm.addEventListener(type, (e) => this.dispatchEvent(new CustomEvent(type, { detail: (e as CustomEvent).detail, bubbles: true })));
      }
      const showState = (): void => void (stateText.textContent = vm.state + (vm.detail ? ` — ${vm.detail}` : ''));
      vm.addEventListener('state', showState);
      vm.addEventListener('notice', (e) => {
        const message = (e as CustomEvent<string>).detail;
        errorText.textContent = message;
        errorText.hidden = !message;
      });
      // Progress and state come from the worker on separate channels: a late progress report must not hide "running".
      vm.addEventListener('progress', (e) => {
        if (vm.state === 'loading') stateText.textContent = (e as CustomEvent<{ stage: string }>).detail.stage;
      });
      await vm.start();
      showState();
      return vm;
    } catch (e) {
      errorText.textContent = (e as Error).message;
      errorText.hidden = false;
      stateText.textContent = 'error';
      return undefined;
    }
  }

  disconnectedCallback(): void {
    void this.machine?.terminate();
  }
}

if (!customElements.get('tab-vm')) customElements.define('tab-vm', TabVmElement);
(window as unknown as { tabvmEmbed: unknown }).tabvmEmbed = { createMachine };
