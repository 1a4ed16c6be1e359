// Number formatting shared by the page, the table, the plots and the Node demo.

export function fmtRatio(v, digits = 4) {
  return Number.isFinite(v) ? v.toFixed(digits) : '–';
}

// One formatter per precision: toLocaleString builds one per call, slow in plots of thousands.
const LOAD_FORMATS = [0, 1, 3].map((digits) => new Intl.NumberFormat('en-US', { maximumFractionDigits: digits, minimumFractionDigits: 0 }));

export function fmtLoad(v) {
  if (!Number.isFinite(v)) return '–';
  const a = Math.abs(v);
  return LOAD_FORMATS[a >= 100 ? 0 : a >= 1 ? 1 : 2].format(v);
}

// Compact axis labels: 12k, 1.5M.
export function fmtCompact(v) {
  const a = Math.abs(v);
  if (a >= 1e9) return trim(v / 1e9) + 'G';
  if (a >= 1e6) return trim(v / 1e6) + 'M';
  if (a >= 1e3) return trim(v / 1e3) + 'k';
  return trim(v);
}

function trim(v) {
  return String(Math.round(v * 100) / 100);
}

export function fmtMs(ms) {
  if (!Number.isFinite(ms)) return '–';
  return ms >= 100 ? ms.toFixed(0) : ms >= 10 ? ms.toFixed(1) : ms.toFixed(2);
}
