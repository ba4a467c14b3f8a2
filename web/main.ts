// The app: the machine manager (list, create, edit, control, delete), the
// selected machine's screen and serial console, and the statistics view.
// Connections, as in virt-manager: "this tab" (machines in workers here) and
// the "local helper" (machines `tabvm helper` runs, web/lib/helper-client.ts),
// listed side by side and shown the same way.

import { Terminal } from '@xterm/xterm';
import { FitAddon } from '@xterm/addon-fit';
import '@xterm/xterm/css/xterm.css';
import {
  defaultMachine,
  deleteFile,
  deleteMachineSettings,
  deleteThumbnail,
  firmwareMachine,
  getThumbnail,
  listMachines,
  newId,
  saveFile,
  saveMachine,
  saveThumbnail,
  slotFor,
  type DiskConfig,
  type MachineConfig,
} from './lib/config.js';
import { deleteOverlays, encodeOverlay, importOverlay, loadOverlayBlocks } from './lib/disks.js';
import { VmHandle, checkIsolation, type ProgressInfo } from './lib/vm.js';
import { StatsView } from './lib/stats-view.js';
import { keepCrisp } from './lib/crisp.js';
import { thumbnailDataUrl } from './lib/thumbnail.js';
import { HelperConnection, RemoteVm, guessBootKind, type BootKind, type EngineName } from './lib/helper-client.js';

const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;
const errorText = $<HTMLParagraphElement>('error');
const list = $<HTMLUListElement>('machine-list');
const screen = $<HTMLCanvasElement>('screen');
// Whole device pixels per guest pixel, as large as the screen's panel allows (issue 6: "scaled crisply").
keepCrisp(screen, screen.parentElement as HTMLElement);
const progressText = $<HTMLParagraphElement>('progress');
const notesText = $<HTMLParagraphElement>('notes');
const stateText = $<HTMLSpanElement>('vm-state');
const nameText = $<HTMLElement>('vm-name');
const buttons = {
  start: $<HTMLButtonElement>('btn-start'),
  pause: $<HTMLButtonElement>('btn-pause'),
  reset: $<HTMLButtonElement>('btn-reset'),
  poweroff: $<HTMLButtonElement>('btn-poweroff'),
  cad: $<HTMLButtonElement>('btn-cad'),
  edit: $<HTMLButtonElement>('btn-edit'),
  del: $<HTMLButtonElement>('btn-delete'),
};
const THUMB_MS = 5000;
const THUMB_WIDTH = 160;
const KIB = 1024;
const MIB = KIB * KIB;
const FLOPPY_144 = 1474560;

let machines: MachineConfig[] = [];
const running = new Map<string, VmHandle>();
let selected: string | undefined;
/** The local helper connection, when connected. */
let helper: HelperConnection | undefined;
/** Selection ids of the helper's machines. */
const HELPER_PREFIX = 'helper:';
const helperKey = (vm: RemoteVm): string => `${HELPER_PREFIX}${vm.id}`;
/** The selected machine when it is one of the helper's. */
function selectedRemote(): RemoteVm | undefined {
  if (!selected?.startsWith(HELPER_PREFIX)) return undefined;
  return helper?.machines.get(Number(selected.slice(HELPER_PREFIX.length)));
}
/** What receives the console's and the screen's input: the selected machine, in the tab or on the helper. */
function inputTarget(): VmHandle | RemoteVm | undefined {
  return selectedRemote() ?? (selected ? running.get(selected) : undefined);
}

function showError(message: string | undefined): void {
  errorText.textContent = message ?? '';
  errorText.hidden = !message;
}

/** One sentence a person can act on, for the errors the app knows. */
function explain(e: unknown): string {
  const err = e as Error;
  if (err?.name === 'QuotaExceededError') return 'Browser storage is full: delete machines or files, or allow this site more storage.';
  return err?.message ?? String(e);
}

const term = new Terminal({ convertEol: false, fontSize: 13, scrollback: 5000 });
const fit = new FitAddon();
term.loadAddon(fit);
term.open($('terminal'));
fit.fit();
window.addEventListener('resize', () => fit.fit());

/** The console view tabs: the screen and the serial console together, or one of them alone (remembered). */
const VIEW_KEY = 'tabvm-console-view';
const screens = $<HTMLDivElement>('screens');
const viewTabs = [...document.querySelectorAll<HTMLButtonElement>('.view-tabs [data-view]')];
function showView(view: string): void {
  if (!viewTabs.some((t) => t.dataset.view === view)) return;
  screens.dataset.show = view;
  for (const t of viewTabs) t.setAttribute('aria-selected', String(t.dataset.view === view));
  localStorage.setItem(VIEW_KEY, view);
  fit.fit();
}
for (const t of viewTabs) t.addEventListener('click', () => showView(t.dataset.view ?? 'both'));
showView(localStorage.getItem(VIEW_KEY) ?? 'both');
term.onData((data) => {
  // xterm sends DEL for Backspace and CR for Enter, as a serial terminal does.
  inputTarget()?.serialWrite(data);
});

const stats = new StatsView($<HTMLTableElement>('stats-table'), inputTarget);
$<HTMLButtonElement>('stats-download').addEventListener('click', () => stats.download());

function bytes(n: number): string {
  return n >= MIB ? `${(n / MIB).toFixed(1)} MiB` : `${(n / KIB).toFixed(0)} KiB`;
}

function onProgress(p: ProgressInfo): void {
  const amount = p.total ? `${bytes(p.loaded)} of ${bytes(p.total)}` : p.loaded ? bytes(p.loaded) : '';
  const rate = p.rate && p.loaded ? `, ${bytes(p.rate)}/s` : '';
  progressText.textContent = `${p.stage}${amount ? `: ${amount}${rate}` : ''}…`;
}

/** How far the guest got, from what it printed (serial log and screen). */
function bootStage(vm: VmHandle): string | undefined {
  const log = vm.serialLog;
  if (/tabvm# /.test(log)) return 'booted to the shell';
  if (/Run \/init/.test(log)) return 'boot stage: starting init';
  if (/Linux version/.test(log)) return 'boot stage: kernel running';
  const text = vm.textScreen()?.join('') ?? '';
  if (/SeaBIOS|iPXE|Booting from/.test(text)) return 'boot stage: firmware';
  if (text.trim()) return 'boot stage: kernel starting';
  return undefined;
}

function stateLabel(vm: VmHandle | undefined): string {
  if (!vm) return 'off';
  if (vm.state === 'running' && /tabvm# /.test(vm.serialLog)) return 'running (shell)';
  return vm.state + (vm.detail ? ` — ${vm.detail}` : '');
}

function remoteLabel(r: RemoteVm): string {
  return r.state + (r.detail ? ` — ${r.detail}` : '');
}

function refreshToolbar(): void {
  const r = selectedRemote();
  if (r) {
    nameText.textContent = `${r.info.name} (on the helper)`;
    stateText.textContent = remoteLabel(r);
    stateText.dataset.state = r.state;
    const live = r.state === 'running' || r.state === 'paused';
    buttons.start.disabled = r.state !== 'created';
    buttons.pause.disabled = !live;
    buttons.pause.textContent = r.state === 'paused' ? 'Resume' : 'Pause';
    buttons.reset.disabled = !live;
    buttons.poweroff.disabled = !live;
    buttons.cad.disabled = r.state !== 'running';
    buttons.edit.disabled = true;
    buttons.del.disabled = false;
    return;
  }
  const m = machines.find((x) => x.id === selected);
  const vm = selected ? running.get(selected) : undefined;
  nameText.textContent = m ? m.name : 'No machine selected';
  stateText.textContent = m ? stateLabel(vm) : '';
  stateText.dataset.state = vm?.state ?? 'off';
  const live = !!vm && vm.state !== 'off' && vm.state !== 'error';
  buttons.start.disabled = !m || live;
  buttons.pause.disabled = !live || vm?.state === 'loading';
  buttons.pause.textContent = vm?.state === 'paused' ? 'Resume' : 'Pause';
  buttons.reset.disabled = !live;
  buttons.poweroff.disabled = !live;
  buttons.cad.disabled = !live;
  buttons.edit.disabled = !m || live;
  buttons.del.disabled = !m;
}

async function renderList(): Promise<void> {
  list.replaceChildren();
  for (const m of machines) {
    const li = document.createElement('li');
    li.className = 'machine' + (m.id === selected ? ' selected' : '');
    li.dataset.id = m.id;
    const img = document.createElement('img');
    img.alt = '';
    img.width = THUMB_WIDTH;
    img.className = 'thumb';
    const thumb = await getThumbnail(m.id);
    if (thumb) img.src = thumb;
    const label = document.createElement('button');
    label.type = 'button';
    label.className = 'machine-name';
    label.textContent = m.name;
    label.addEventListener('click', () => select(m.id));
    const state = document.createElement('span');
    state.className = 'machine-state';
    state.textContent = stateLabel(running.get(m.id));
    const info = document.createElement('small');
    info.textContent = `${m.memoryMiB} MiB, ${m.boot === 'linux' ? 'Linux direct boot' : 'SeaBIOS'}, ${m.disks.length} disk${m.disks.length === 1 ? '' : 's'}`;
    li.append(img, label, state, info);
    list.append(li);
  }
}

function updateListStates(): void {
  for (const li of list.querySelectorAll<HTMLLIElement>('li.machine')) {
    const s = li.querySelector('.machine-state');
    if (s) s.textContent = stateLabel(running.get(li.dataset.id as string));
  }
}

function select(id: string): void {
  selected = id;
  const vm = running.get(id);
  const r = selectedRemote();
  // Only the selected machine draws on the screen.
  for (const [k, other] of running) if (k !== id) other.detachScreen();
  for (const other of helper?.machines.values() ?? []) if (other !== r) other.detachScreen();
  term.reset();
  if (r) {
    term.write(r.serialLog);
    notesText.textContent = `Runs in tabvm helper at ${r.connection.label}, engine ${r.info.engine}, ${r.info.memMiB} MiB.`;
    progressText.textContent = '';
    clearScreen();
    r.attachScreen(screen);
  } else if (vm) {
    term.write(vm.serialLog);
    vm.attachScreen(screen);
    notesText.textContent = vm.notes.join(' ');
  } else {
    notesText.textContent = '';
    progressText.textContent = '';
    clearScreen();
  }
  refreshToolbar();
  void renderList();
  renderHelper();
}

function clearScreen(): void {
  const ctx = screen.getContext('2d');
  if (ctx) {
    ctx.fillStyle = '#000';
    ctx.fillRect(0, 0, screen.width, screen.height);
  }
}

async function reload(selectId?: string): Promise<void> {
  machines = await listMachines();
  if (selectId) selected = selectId;
  if (selected && !selectedRemote() && !machines.some((m) => m.id === selected)) selected = undefined;
  if (!selected && machines.length) selected = machines[0].id;
  await renderList();
  if (selected) select(selected);
  else refreshToolbar();
}

async function addMachine(m: MachineConfig): Promise<void> {
  try {
    await saveMachine(m);
  } catch (e) {
    showError(explain(e));
    return;
  }
  await reload(m.id);
}

async function startMachine(m: MachineConfig): Promise<void> {
  showError(undefined);
  const old = running.get(m.id);
  if (old) await old.terminate();
  const vm = new VmHandle(m);
  running.set(m.id, vm);
  vm.addEventListener('progress', (e) => {
    if (selected === m.id) onProgress((e as CustomEvent<ProgressInfo>).detail);
  });
  vm.addEventListener('serial', (e) => {
    if (selected === m.id) term.write((e as CustomEvent<string>).detail);
  });
  vm.addEventListener('state', () => {
    if (selected === m.id) refreshToolbar();
    updateListStates();
    if (vm.state === 'off' || vm.state === 'paused') void takeThumbnail(m.id);
  });
  vm.addEventListener('notice', (e) => {
    const message = (e as CustomEvent<string>).detail;
    const prefix = `${m.name}: `;
    if (message) showError(`${prefix}${message}. It keeps running: the changes stay in memory and are saved when there is room again.`);
    else if (errorText.textContent?.startsWith(prefix)) showError(undefined);
  });
  if (selected === m.id) vm.attachScreen(screen);
  refreshToolbar();
  try {
    await vm.start();
    if (selected === m.id) {
      progressText.textContent = 'booting…';
      notesText.textContent = vm.notes.join(' ');
    }
  } catch (e) {
    showError(`${m.name} could not start: ${explain(e)}`);
    vm.worker.terminate();
    running.delete(m.id);
  }
  refreshToolbar();
  updateListStates();
}

/** Save and show a small picture of a machine's screen (rendered from its VGA state: it need not be the one shown). */
async function takeThumbnail(id: string): Promise<void> {
  const image = running.get(id)?.screenImage();
  if (!image) return;
  const url = thumbnailDataUrl(image, THUMB_WIDTH);
  try {
    await saveThumbnail(id, url);
  } catch {
    return; // a thumbnail is not worth an error message
  }
  const img = list.querySelector<HTMLImageElement>(`li[data-id="${id}"] img`);
  if (img) img.src = url;
}

setInterval(() => {
  for (const [id, vm] of running) if (vm.state === 'running') void takeThumbnail(id);
  updateHelperThumbs();
}, THUMB_MS);
setInterval(() => {
  const vm = selected ? running.get(selected) : undefined;
  if (vm && vm.state === 'running') {
    const stage = bootStage(vm);
    if (stage) progressText.textContent = stage;
  }
  refreshToolbar();
  stats.update();
}, 1000);

// ---- toolbar
const current = (): { m: MachineConfig | undefined; vm: VmHandle | undefined } => ({
  m: machines.find((x) => x.id === selected),
  vm: selected ? running.get(selected) : undefined,
});
/** A toolbar action on the selected helper machine; errors go to the page. */
function remoteAction(f: (r: RemoteVm) => Promise<unknown>): boolean {
  const r = selectedRemote();
  if (!r) return false;
  showError(undefined);
  f(r).catch((e: unknown) => showError(`${r.info.name}: ${explain(e)}`));
  return true;
}
buttons.start.addEventListener('click', () => {
  if (remoteAction((r) => r.start())) return;
  const { m } = current();
  if (m) void startMachine(m);
});
buttons.pause.addEventListener('click', async () => {
  if (remoteAction((r) => (r.state === 'paused' ? r.resume() : r.pause()))) return;
  const { vm } = current();
  if (!vm) return;
  if (vm.state === 'paused') await vm.resume();
  else await vm.pause();
});
buttons.reset.addEventListener('click', () => remoteAction((r) => r.reset()) || void current().vm?.reset());
buttons.poweroff.addEventListener('click', () => remoteAction((r) => r.stop()) || void current().vm?.powerOff());
buttons.cad.addEventListener('click', () => inputTarget()?.combo(['ControlLeft', 'AltLeft', 'Delete']));
buttons.del.addEventListener('click', async () => {
  const r = selectedRemote();
  if (r && helper) {
    if (!confirm(`Delete ${r.info.name} on the helper?`)) return;
    try {
      await helper.deleteMachine(r);
    } catch (e) {
      showError(`${r.info.name}: ${explain(e)}`);
      return;
    }
    selected = undefined;
    await reload();
    return;
  }
  const { m, vm } = current();
  if (!m) return;
  if (!confirm(`Delete ${m.name} and its disk changes?`)) return;
  if (vm) await vm.terminate();
  running.delete(m.id);
  await deleteOverlays(`${m.id}/`);
  await deleteThumbnail(m.id);
  for (const d of m.disks) if (d.source.type === 'file') await deleteFile(d.source.key);
  await deleteMachineSettings(m.id);
  selected = undefined;
  await reload();
});

// ---- keyboard and mouse capture on the screen
let captured = false;
const hint = $<HTMLSpanElement>('capture-hint');
function setCapture(on: boolean): void {
  captured = on;
  hint.textContent = on
    ? 'keyboard and mouse captured — Ctrl+Alt+G releases'
    : 'click the screen to capture keyboard and mouse; Ctrl+Alt+G releases';
  screen.classList.toggle('captured', on);
  if (on) {
    screen.focus();
    screen.requestPointerLock?.()?.catch?.(() => {});
  } else if (document.pointerLockElement === screen) document.exitPointerLock();
}
screen.addEventListener('click', () => setCapture(true));
screen.addEventListener('blur', () => setCapture(false));
const keyHandler = (down: boolean) => (e: KeyboardEvent) => {
  if (!captured) return;
  if (down && e.code === 'KeyG' && e.ctrlKey && e.altKey) {
    const vm = inputTarget();
    // Release the modifiers the guest saw go down.
    vm?.key('ControlLeft', false);
    vm?.key('AltLeft', false);
    setCapture(false);
    e.preventDefault();
    return;
  }
  if (inputTarget()?.key(e.code, down)) e.preventDefault();
};
screen.addEventListener('keydown', keyHandler(true));
screen.addEventListener('keyup', keyHandler(false));
let mouseButtons = 0;
const BUTTON_BITS = [1, 4, 2, 8, 16]; // DOM button 0 left, 1 middle, 2 right, 3 back, 4 forward
screen.addEventListener('mousemove', (e) => {
  if (captured) inputTarget()?.mouse(e.movementX, e.movementY, mouseButtons);
});
screen.addEventListener('mousedown', (e) => {
  if (!captured) return;
  mouseButtons |= BUTTON_BITS[e.button] ?? 0;
  inputTarget()?.mouse(0, 0, mouseButtons);
});
screen.addEventListener('mouseup', (e) => {
  if (!captured) return;
  mouseButtons &= ~(BUTTON_BITS[e.button] ?? 0);
  inputTarget()?.mouse(0, 0, mouseButtons);
});
screen.addEventListener(
  'wheel',
  (e) => {
    if (!captured) return;
    e.preventDefault();
    inputTarget()?.mouse(0, 0, mouseButtons, Math.sign(e.deltaY));
  },
  { passive: false },
);
screen.addEventListener('contextmenu', (e) => captured && e.preventDefault());

// ---- creating machines
$<HTMLButtonElement>('create-default').addEventListener('click', () => void addMachine(defaultMachine()));

async function fromFile(file: File): Promise<void> {
  const key = newId();
  try {
    await navigator.storage?.persist?.();
    await saveFile(key, file);
  } catch (e) {
    showError(`${file.name} could not be stored: ${explain(e)}`);
    return;
  }
  const disk: DiskConfig = { slot: slotFor(file.name, file.size), source: { type: 'file', key, name: file.name, size: file.size } };
  await addMachine(firmwareMachine(file.name, disk));
}
$<HTMLInputElement>('file-input').addEventListener('change', (e) => {
  const f = (e.target as HTMLInputElement).files?.[0];
  if (f) void fromFile(f);
});
const drop = $<HTMLDivElement>('drop-zone');
drop.addEventListener('dragover', (e) => {
  e.preventDefault();
  drop.classList.add('over');
});
drop.addEventListener('dragleave', () => drop.classList.remove('over'));
drop.addEventListener('drop', (e) => {
  e.preventDefault();
  drop.classList.remove('over');
  const f = e.dataTransfer?.files[0];
  if (f) void fromFile(f);
});
$<HTMLFormElement>('url-form').addEventListener('submit', (e) => {
  e.preventDefault();
  const url = $<HTMLInputElement>('url-input').value.trim();
  if (!url) return;
  const name = decodeURIComponent(new URL(url, location.href).pathname.split('/').pop() || 'disk');
  const disk: DiskConfig = { slot: slotFor(name, 0), source: { type: 'url', url, name } };
  void addMachine(firmwareMachine(name, disk));
});

// ---- editing
const editor = $<HTMLDialogElement>('editor');
const form = $<HTMLFormElement>('editor-form');
const editorDisks = $<HTMLUListElement>('editor-disks');
let editing: MachineConfig | undefined;
function field(name: string): HTMLInputElement {
  return form.elements.namedItem(name) as HTMLInputElement;
}
function renderEditorDisks(): void {
  editorDisks.replaceChildren();
  for (const d of editing?.disks ?? []) {
    const li = document.createElement('li');
    const what = d.source.type === 'blank' ? `blank ${bytes(d.source.size)}` : `${d.source.type} ${d.source.name}`;
    li.textContent = `${d.slot}: ${what} `;
    const exp = document.createElement('button');
    exp.type = 'button';
    exp.textContent = 'Export changes';
    exp.addEventListener('click', () => void exportOverlay(d));
    const imp = document.createElement('input');
    imp.type = 'file';
    imp.title = 'Import changes';
    imp.addEventListener('change', async () => {
      const f = imp.files?.[0];
      if (!f || !editing) return;
      try {
        const n = await importOverlay(`${editing.id}/${d.slot}`, new Uint8Array(await f.arrayBuffer()));
        showError(undefined);
        alert(`Imported ${n} changed blocks.`);
      } catch (e) {
        showError(explain(e));
      }
    });
    const rm = document.createElement('button');
    rm.type = 'button';
    rm.textContent = 'Remove';
    rm.addEventListener('click', () => {
      if (!editing) return;
      editing.disks = editing.disks.filter((x) => x !== d);
      renderEditorDisks();
    });
    li.append(exp, imp, rm);
    editorDisks.append(li);
  }
}
async function exportOverlay(d: DiskConfig): Promise<void> {
  if (!editing) return;
  const blocks = await loadOverlayBlocks(`${editing.id}/${d.slot}`);
  const a = document.createElement('a');
  a.href = URL.createObjectURL(new Blob([encodeOverlay(blocks) as BlobPart]));
  a.download = `${editing.name}-${d.slot}.tabvm-overlay`;
  a.click();
}
buttons.edit.addEventListener('click', () => {
  const { m } = current();
  if (!m) return;
  editing = structuredClone(m);
  for (const k of ['name', 'memoryMiB', 'engine', 'boot', 'bootOrder', 'kernelUrl', 'initrdUrl', 'cmdline'] as const) {
    field(k).value = String(editing[k]);
  }
  field('blankSlot').value = '';
  renderEditorDisks();
  editor.showModal();
});
editor.addEventListener('close', async () => {
  if (editor.returnValue !== 'save' || !editing) return;
  const e = editing;
  e.name = field('name').value || e.name;
  e.memoryMiB = Math.max(8, Math.min(1024, Math.round(Number(field('memoryMiB').value)) || e.memoryMiB));
  e.engine = field('engine').value as MachineConfig['engine'];
  e.boot = field('boot').value as MachineConfig['boot'];
  e.bootOrder = field('bootOrder').value as MachineConfig['bootOrder'];
  e.kernelUrl = field('kernelUrl').value;
  e.initrdUrl = field('initrdUrl').value;
  e.cmdline = field('cmdline').value;
  const blankSlot = field('blankSlot').value;
  if (blankSlot && !e.disks.some((d) => d.slot === blankSlot)) {
    if (blankSlot === 'fda') e.disks.push({ slot: 'fda', source: { type: 'blank', size: FLOPPY_144, name: 'blank 1.44 MB floppy' } });
    else {
      const mib = Math.max(1, Math.round(Number(field('blankMiB').value)) || 1);
      e.disks.push({ slot: 'hda', source: { type: 'blank', size: mib * MIB, name: `blank ${mib} MiB` } });
    }
  }
  await addMachine(e);
});

// ---- the local helper connection
const helperForm = $<HTMLFormElement>('helper-form');
const helperUrl = $<HTMLInputElement>('helper-url');
const helperStatus = $<HTMLParagraphElement>('helper-status');
const helperView = $<HTMLDivElement>('helper-view');
const helperList = $<HTMLUListElement>('helper-machines');
const helperEngines = $<HTMLUListElement>('helper-engines');
const helperCreate = $<HTMLFormElement>('helper-create');
const helperDisconnect = $<HTMLButtonElement>('helper-disconnect');
const wired = new WeakSet<RemoteVm>();
const createField = (name: string): HTMLInputElement & HTMLSelectElement =>
  helperCreate.elements.namedItem(name) as HTMLInputElement & HTMLSelectElement;

/** Listen to a helper machine's serial output and state once. */
function wire(r: RemoteVm): void {
  if (wired.has(r)) return;
  wired.add(r);
  r.addEventListener('serial', (e) => {
    if (selectedRemote() === r) term.write((e as CustomEvent<string>).detail);
  });
  r.addEventListener('state', () => {
    if (selectedRemote() === r) refreshToolbar();
  });
}

function renderHelper(): void {
  const h = helper;
  helperView.hidden = !h;
  helperDisconnect.hidden = !h;
  $<HTMLButtonElement>('helper-connect').hidden = !!h;
  helperUrl.disabled = !!h;
  $<HTMLElement>('helper-label').textContent = h ? h.label : '';
  if (!h) {
    helperList.replaceChildren();
    return;
  }
  helperEngines.replaceChildren(
    ...h.engines.map((e) => {
      const li = document.createElement('li');
      li.dataset.engine = e.name;
      li.dataset.available = String(e.available);
      li.textContent = `${e.name}: ${e.available ? 'available' : `unavailable — ${e.reason ?? 'no reason given'}`}`;
      return li;
    }),
  );
  helperList.replaceChildren(
    ...[...h.machines.values()].map((r) => {
      wire(r);
      const li = document.createElement('li');
      li.className = 'machine' + (selectedRemote() === r ? ' selected' : '');
      li.dataset.helperId = String(r.id);
      const label = document.createElement('button');
      label.type = 'button';
      label.className = 'machine-name';
      label.textContent = r.info.name;
      label.addEventListener('click', () => select(helperKey(r)));
      const state = document.createElement('span');
      state.className = 'machine-state';
      state.textContent = remoteLabel(r);
      const info = document.createElement('small');
      info.textContent = `${r.info.memMiB} MiB, engine ${r.info.engine}`;
      li.append(helperThumb(r), label, state, info);
      return li;
    }),
  );
  if (selectedRemote()) refreshToolbar();
}

/** The list's picture of a helper machine, kept up to date by updateHelperThumbs(). */
function helperThumb(r: RemoteVm): HTMLImageElement {
  const img = document.createElement('img');
  img.alt = '';
  img.width = THUMB_WIDTH;
  img.className = 'thumb';
  const url = r.thumbnail(THUMB_WIDTH);
  if (url) img.src = url;
  return img;
}
function updateHelperThumbs(): void {
  for (const r of helper?.machines.values() ?? []) {
    const img = helperList.querySelector<HTMLImageElement>(`li[data-helper-id="${r.id}"] img.thumb`);
    const url = r.state === 'running' || !img?.src ? r.thumbnail(THUMB_WIDTH) : undefined;
    if (img && url) img.src = url;
  }
}

/** Fill the create form's choices from the helper's images and engines. */
function fillCreateForm(h: HelperConnection): void {
  const option = (value: string, text: string, disabled = false, title = ''): HTMLOptionElement => {
    const o = document.createElement('option');
    o.value = value;
    o.textContent = text;
    o.disabled = disabled;
    o.title = title;
    return o;
  };
  const images = h.images.map((i) => option(i.name, `${i.name} (${bytes(i.bytes)})`));
  createField('image').replaceChildren(...images);
  createField('initrd').replaceChildren(option('', 'none'), ...h.images.map((i) => option(i.name, i.name)));
  createField('engine').replaceChildren(
    ...h.engines.map((e) => option(e.name, e.available ? e.name : `${e.name} (unavailable)`, !e.available, e.reason ?? '')),
  );
  // The fastest engine the helper has: KVM, then kqemu, then the Wasm engine.
  const best = h.engines.find((e) => e.available);
  if (best) createField('engine').value = best.name;
  guessKind();
}
function guessKind(): void {
  const name = createField('image').value;
  const img = helper?.images.find((i) => i.name === name);
  if (img) createField('kind').value = guessBootKind(img.name, img.bytes);
}
createField('image').addEventListener('change', guessKind);

helperForm.addEventListener('submit', async (e) => {
  e.preventDefault();
  showError(undefined);
  helperStatus.textContent = 'connecting…';
  let h: HelperConnection;
  try {
    h = await HelperConnection.open(helperUrl.value);
  } catch (err) {
    helperStatus.textContent = '';
    showError(explain(err));
    return;
  }
  helper = h;
  helperStatus.textContent = `connected to ${h.label}: ${h.images.length} image${h.images.length === 1 ? '' : 's'}, ${h.machines.size} machine${h.machines.size === 1 ? '' : 's'}`;
  h.addEventListener('machines', () => renderHelper());
  h.addEventListener('close', (ev) => {
    if (helper !== h) return;
    const why = (ev as CustomEvent<string>).detail;
    helper = undefined;
    helperStatus.textContent = `not connected (${why})`;
    if (why !== 'disconnected')
      showError(`The helper connection closed: ${why}. Its machines keep running or pause there; connect again to see them.`);
    if (selected?.startsWith(HELPER_PREFIX)) selected = undefined;
    renderHelper();
    void reload();
  });
  fillCreateForm(h);
  renderHelper();
});
helperDisconnect.addEventListener('click', () => helper?.close());

helperCreate.addEventListener('submit', async (e) => {
  e.preventDefault();
  const h = helper;
  if (!h) return;
  showError(undefined);
  const kind = createField('kind').value as BootKind;
  const boot: { kind: BootKind; image: string; initrd?: string; append?: string } = { kind, image: createField('image').value };
  const initrd = createField('initrd').value;
  const append = createField('append').value;
  if (kind === 'linux' && initrd) boot.initrd = initrd;
  if ((kind === 'linux' || kind === 'multiboot') && append) boot.append = append;
  const name = createField('name').value.trim();
  try {
    const r = await h.create({
      engine: createField('engine').value as EngineName,
      memMiB: Math.round(Number(createField('memMiB').value)),
      boot,
      ...(name ? { name } : {}),
    });
    wire(r);
    select(helperKey(r));
  } catch (err) {
    showError(`The helper could not create the machine: ${explain(err)}`);
  }
});

// ---- start
try {
  checkIsolation();
} catch (e) {
  showError((e as Error).message);
}
void navigator.storage?.persist?.();
void reload();

/** For tests and the console: the running machines by id. */
(window as unknown as { tabvm: unknown }).tabvm = {
  running,
  get selected() {
    return selected;
  },
  select,
  reload,
  /** The local helper connection, when connected. */
  get helper() {
    return helper;
  },
  /** The saved overlay of one disk: block number → its first bytes as Latin-1 text. */
  async overlayText(id: string, slot: string, bytesPerBlock = 64): Promise<Record<number, string>> {
    const out: Record<number, string> = {};
    for (const [n, data] of await loadOverlayBlocks(`${id}/${slot}`)) out[n] = String.fromCharCode(...data.subarray(0, bytesPerBlock));
    return out;
  },
};
