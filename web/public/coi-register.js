// Include with <script src="coi-register.js"></script> before the app on a host
// without COOP/COEP headers: registers coi-serviceworker.js and reloads once
// when the page is not yet cross-origin isolated (hosting.html).
if (!self.crossOriginIsolated && 'serviceWorker' in navigator && !sessionStorage.getItem('tabvm-coi-reloaded')) {
  navigator.serviceWorker.register(new URL('coi-serviceworker.js', document.currentScript.src)).then((reg) => {
    sessionStorage.setItem('tabvm-coi-reloaded', '1');
    if (reg.active && !navigator.serviceWorker.controller) location.reload();
    else navigator.serviceWorker.addEventListener('controllerchange', () => location.reload());
  });
}
