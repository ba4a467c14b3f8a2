// postinstall: builds helper/native (the /dev/kvm and /dev/kqemu addon) with
// node-gyp where a compiler exists. It never fails the install: tabvm works
// without it (the Wasm engine), and `tabvm helper` / `--accel kvm` say why
// KVM is unavailable. On failure it prints one line saying why.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const dir = dirname(fileURLToPath(import.meta.url));
const npmGyp = process.env.npm_config_node_gyp;
const bundled = join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js');
const gyp = npmGyp && existsSync(npmGyp) ? npmGyp : existsSync(bundled) ? bundled : undefined;
if (process.platform !== 'linux') {
  console.log(`tabvm: native addon not built: KVM and kqemu exist only on Linux (this is ${process.platform})`);
  process.exit(0);
}
if (!gyp) {
  console.log('tabvm: native addon not built: node-gyp not found (KVM/kqemu unavailable; the Wasm engine works)');
  process.exit(0);
}
const args = [gyp, 'rebuild', '--directory', dir];
if (process.env.npm_config_nodedir) args.push(`--nodedir=${process.env.npm_config_nodedir}`);
const r = spawnSync(process.execPath, args, { encoding: 'utf8' });
if (r.status !== 0) {
  const lines = `${r.stderr ?? ''}${r.stdout ?? ''}`
    .split('\n')
    .filter((l) => /error|not found|ERR!/i.test(l) && !/gyp ERR! (stack|System|command|cwd|node -v|node-gyp -v|not ok)/.test(l));
  const why = (lines[0] ?? `node-gyp exited with status ${r.status}`).trim();
  console.log(`tabvm: native addon not built (KVM/kqemu unavailable; the Wasm engine works): ${why}`);
}
process.exit(0);
