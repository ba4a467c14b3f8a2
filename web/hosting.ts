// The hosting page's worked example: a <tab-vm> on a page that the
// service-worker shim (public/coi-register.js, coi-serviceworker.js) makes
// cross-origin isolated on a static host that sends no COOP/COEP headers, and
// a line saying how this page got (or did not get) isolated.

import './embed.js';

const status = document.getElementById('isolation-status') as HTMLElement;
if (self.crossOriginIsolated) {
  status.textContent = navigator.serviceWorker?.controller
    ? 'cross-origin isolated through the service worker (coi-serviceworker.js).'
    : 'cross-origin isolated by the server’s headers.';
  status.dataset.isolated = navigator.serviceWorker?.controller ? 'service-worker' : 'headers';
} else {
  status.textContent =
    'not cross-origin isolated: this browser blocks the service worker here (it needs HTTPS or localhost, and no private window that forbids service workers), so machines cannot start.';
  status.dataset.isolated = 'no';
}
