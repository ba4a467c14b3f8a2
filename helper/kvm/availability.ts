// Whether the KVM engine can run here, and if not, why (one line for
// `tabvm run --accel kvm` and the helper's engine list).

import { NativeError, closeFd, ioctlRaw, loadNative, openDevice } from '../native.js';
import { CAP, KVM, KVM_API_VERSION } from './abi.js';

export const KVM_DEVICE_PATH = '/dev/kvm';

/** Capabilities the engine cannot work without (api.rst: KVM_CHECK_EXTENSION). */
const REQUIRED_CAPS: [keyof typeof CAP, string][] = [
  ['USER_MEMORY', 'KVM_CAP_USER_MEMORY'],
  ['IRQCHIP', 'KVM_CAP_IRQCHIP'],
  ['PIT2', 'KVM_CAP_PIT2'],
  ['IMMEDIATE_EXIT', 'KVM_CAP_IMMEDIATE_EXIT'],
];

export function kvmUnavailableReason(path = KVM_DEVICE_PATH): string | undefined {
  const n = loadNative();
  if (!n.addon) return n.why;
  let fd: number;
  try {
    fd = openDevice(path);
  } catch (err) {
    if (err instanceof NativeError && err.code === 'ENOENT') {
      return `no ${path} on this machine (the CPU has no VMX/SVM, or the kvm module is not loaded)`;
    }
    if (err instanceof NativeError && (err.code === 'EACCES' || err.code === 'EPERM')) {
      return `${path}: permission denied (add this user to the kvm group)`;
    }
    return (err as Error).message;
  }
  try {
    const version = ioctlRaw(fd, KVM.GET_API_VERSION, 0);
    if (version !== KVM_API_VERSION) return `${path}: KVM API version ${version}, tabvm needs ${KVM_API_VERSION}`;
    for (const [cap, name] of REQUIRED_CAPS) {
      if (ioctlRaw(fd, KVM.CHECK_EXTENSION, CAP[cap]) <= 0) return `${path}: the kernel lacks ${name}`;
    }
    return undefined;
  } finally {
    closeFd(fd);
  }
}
