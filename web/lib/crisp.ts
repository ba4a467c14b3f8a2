// Crisp screen scaling: a canvas whose pixels are the guest's pixels is shown
// at a whole number of device pixels per guest pixel (1×, 2×, 3×…), as large
// as its panel allows, with nearest-neighbour sampling (image-rendering:
// pixelated), so text-mode glyphs stay sharp instead of being smeared by a
// fractional scale. The CSS size is k × (canvas pixels) / devicePixelRatio,
// recomputed when the panel resizes, when the guest changes mode (the canvas's
// width/height attributes) and when the device pixel ratio changes (zoom,
// moving the window to another monitor). Only a panel narrower than one device
// pixel per guest pixel gets a fractional, smoothed fit.

export interface CrispOptions {
  /** The largest CSS height the screen may take (default: no limit). */
  maxHeight?: () => number;
}

/** The scale for a canvas of `w`×`h` pixels in a panel of `availW`×`availH` CSS pixels at `dpr` device pixels per CSS pixel. */
export function crispScale(
  w: number,
  h: number,
  availW: number,
  availH: number,
  dpr: number,
): { cssWidth: number; cssHeight: number; k: number; integer: boolean } {
  const k = Math.floor(Math.min((availW * dpr) / w, (availH * dpr) / h));
  if (k >= 1) return { cssWidth: (k * w) / dpr, cssHeight: (k * h) / dpr, k, integer: true };
  const s = Math.min(availW / w, availH / h);
  return { cssWidth: w * s, cssHeight: h * s, k: s * dpr, integer: false };
}

/** Keep `canvas` crisply scaled to the content width of `panel`; returns a function that stops it. */
export function keepCrisp(canvas: HTMLCanvasElement, panel: HTMLElement, opts: CrispOptions = {}): () => void {
  const apply = (): void => {
    const w = canvas.width;
    const h = canvas.height;
    if (!w || !h) return;
    const style = getComputedStyle(panel);
    const availW = panel.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
    if (availW <= 0) return;
    const dpr = window.devicePixelRatio || 1;
    const fit = crispScale(w, h, availW, opts.maxHeight?.() ?? Infinity, dpr);
    canvas.style.width = `${fit.cssWidth}px`;
    canvas.style.height = `${fit.cssHeight}px`;
    canvas.style.imageRendering = fit.integer ? 'pixelated' : 'auto';
    canvas.dataset.scale = fit.integer ? String(fit.k) : fit.k.toFixed(3);
  };
  const resize = new ResizeObserver(apply);
  resize.observe(panel);
  const modes = new MutationObserver(apply);
  modes.observe(canvas, { attributes: true, attributeFilter: ['width', 'height'] });
  let media: MediaQueryList | undefined;
  const watchRatio = (): void => {
    media?.removeEventListener('change', onRatio);
    media = matchMedia(`(resolution: ${window.devicePixelRatio || 1}dppx)`);
    media.addEventListener('change', onRatio);
  };
  const onRatio = (): void => {
    watchRatio();
    apply();
  };
  watchRatio();
  window.addEventListener('resize', apply);
  apply();
  return () => {
    resize.disconnect();
    modes.disconnect();
    media?.removeEventListener('change', onRatio);
    window.removeEventListener('resize', apply);
  };
}
