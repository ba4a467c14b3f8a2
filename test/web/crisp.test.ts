// The screen's scale (web/lib/crisp.ts): whole device pixels per guest pixel,
// the largest that fits the panel, on any devicePixelRatio; a fractional,
// smoothed fit only when even 1× does not fit.

import { describe, expect, it } from 'vitest';

import { crispScale } from '../../web/lib/crisp.js';

describe('crispScale', () => {
  it('takes the largest whole scale that fits the panel', () => {
    expect(crispScale(720, 400, 1100, Infinity, 1)).toEqual({ cssWidth: 720, cssHeight: 400, k: 1, integer: true });
    expect(crispScale(720, 400, 1440, Infinity, 1)).toEqual({ cssWidth: 1440, cssHeight: 800, k: 2, integer: true });
    expect(crispScale(640, 480, 2000, Infinity, 1).k).toBe(3);
  });

  it('counts device pixels: on a 2× display the same panel shows 2 device pixels per guest pixel', () => {
    expect(crispScale(720, 400, 1000, Infinity, 2)).toEqual({ cssWidth: 720, cssHeight: 400, k: 2, integer: true });
    // 1.5×: 1500 CSS px are 2250 device px, room for 3 device pixels per guest pixel: 1440 CSS px wide.
    expect(crispScale(720, 400, 1500, Infinity, 1.5)).toEqual({ cssWidth: 1440, cssHeight: 800, k: 3, integer: true });
    // 1.25×: 720 device pixels are 576 CSS pixels.
    expect(crispScale(720, 400, 700, Infinity, 1.25)).toEqual({ cssWidth: 576, cssHeight: 320, k: 1, integer: true });
  });

  it('honours a height limit', () => {
    expect(crispScale(1024, 768, 3000, 1000, 1)).toEqual({ cssWidth: 1024, cssHeight: 768, k: 1, integer: true });
  });

  it('fits a panel narrower than one device pixel per guest pixel, smoothed', () => {
    const fit = crispScale(720, 400, 360, Infinity, 1);
    expect(fit.integer).toBe(false);
    expect(fit.cssWidth).toBe(360);
    expect(fit.cssHeight).toBe(200);
  });
});
