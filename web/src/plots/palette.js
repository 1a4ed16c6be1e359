// Colours: one per algorithm (colour-blind friendly qualitative set) and a sequential ramp
// for heat maps (dark blue -> teal -> yellow, perceptually ordered).

const SERIES = ['#2f6db5', '#e07b00', '#2a9d6f', '#c0397a', '#7b5cc4', '#8c6d31', '#4aa3c8', '#d95f5f'];

export function seriesColor(i) {
  return SERIES[i % SERIES.length];
}

export const BOUND_COLOR = '#222';

const RAMP = [
  [0.0, [35, 23, 96]],
  [0.25, [52, 96, 160]],
  [0.5, [33, 152, 152]],
  [0.75, [120, 200, 90]],
  [1.0, [250, 230, 60]],
];

// t in [0, 1] -> [r, g, b]
export function rampRgb(t) {
  const u = Math.min(1, Math.max(0, Number.isFinite(t) ? t : 0));
  for (let i = 1; i < RAMP.length; i++) {
    const [t1, c1] = RAMP[i];
    if (u <= t1) {
      const [t0, c0] = RAMP[i - 1];
      const k = (u - t0) / (t1 - t0);
      return c0.map((c, j) => Math.round(c + (c1[j] - c) * k));
    }
  }
  return RAMP[RAMP.length - 1][1];
}

export function ramp(t) {
  const [r, g, b] = rampRgb(t);
  return `rgb(${r},${g},${b})`;
}

// Black or white text, whichever reads better on the ramp colour at t.
export function rampText(t) {
  const [r, g, b] = rampRgb(t);
  return 0.299 * r + 0.587 * g + 0.114 * b > 150 ? '#111' : '#fff';
}
