// Small helpers that build SVG markup as strings, so the same plot code runs in the browser
// (inserted into the page) and in Node (written to a file).

export function esc(s) {
  return String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));
}

export function attrs(a) {
  return Object.entries(a)
    .filter(([, v]) => v !== undefined && v !== null && v !== false)
    .map(([k, v]) => ` ${k}="${esc(v)}"`)
    .join('');
}

export function tag(name, a = {}, inner = '') {
  return inner === null ? `<${name}${attrs(a)}/>` : `<${name}${attrs(a)}>${inner}</${name}>`;
}

export function rect(x, y, w, h, a = {}, title) {
  const t = title ? `<title>${esc(title)}</title>` : '';
  return `<rect${attrs({ x: r2(x), y: r2(y), width: r2(Math.max(0, w)), height: r2(Math.max(0, h)), ...a })}>${t}</rect>`;
}

export function line(x1, y1, x2, y2, a = {}) {
  return `<line${attrs({ x1: r2(x1), y1: r2(y1), x2: r2(x2), y2: r2(y2), ...a })}/>`;
}

export function text(x, y, s, a = {}) {
  return `<text${attrs({ x: r2(x), y: r2(y), ...a })}>${esc(s)}</text>`;
}

export function svgDoc(width, height, inner, a = {}) {
  return `<svg xmlns="http://www.w3.org/2000/svg"${attrs({
    viewBox: `0 0 ${width} ${height}`, width, height, 'font-family': 'system-ui, -apple-system, Segoe UI, Helvetica, Arial, sans-serif', 'font-size': 12, ...a,
  })}>${inner}</svg>`;
}

export function r2(v) {
  return Math.round(v * 100) / 100;
}

// Linear scale from [d0, d1] to [r0, r1].
export function scale(d0, d1, r0, r1) {
  const k = d1 === d0 ? 0 : (r1 - r0) / (d1 - d0);
  return (v) => r0 + (v - d0) * k;
}

// "Nice" tick values covering [lo, hi] with about `count` ticks.
export function ticks(lo, hi, count = 5) {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) || raw;
  const out = [];
  for (let v = Math.ceil(lo / step - 1e-9) * step; v <= hi + step * 1e-9; v += step) out.push(Math.round(v / step) * step);
  return out;
}

// Integer ticks (layer or GPU indices) over [0, n), at most about `count` of them.
export function indexTicks(n, count = 12) {
  const step = [1, 2, 4, 5, 8, 10, 16, 20, 25, 32, 50, 64, 100, 128, 200, 250, 500, 1000].find((s) => n / s <= count) || Math.ceil(n / count);
  const out = [];
  for (let i = 0; i < n; i += step) out.push(i);
  return out;
}

// Left y axis with grid lines and a rotated label.
export function yAxis({ y, ticks: tv, x0, x1, label, format = String, labelX = 14 }) {
  let s = '';
  for (const v of tv) {
    const yy = y(v);
    s += line(x0, yy, x1, yy, { stroke: '#e3e6ea', 'stroke-width': 1 });
    s += text(x0 - 6, yy + 4, format(v), { 'text-anchor': 'end', fill: '#4a5260' });
  }
  const mid = (y(tv[0]) + y(tv[tv.length - 1])) / 2;
  s += text(labelX, mid, label, { transform: `rotate(-90 ${labelX} ${r2(mid)})`, 'text-anchor': 'middle', fill: '#222', 'font-weight': 600 });
  return s;
}

// Bottom x axis for categorical positions (index -> centre x).
export function xAxisIndex({ positions, labels, y0, label, labelY, x0, x1 }) {
  let s = line(x0, y0, x1, y0, { stroke: '#8a93a0' });
  positions.forEach((px, i) => {
    s += line(px, y0, px, y0 + 4, { stroke: '#8a93a0' });
    s += text(px, y0 + 16, labels[i], { 'text-anchor': 'middle', fill: '#4a5260' });
  });
  s += text((x0 + x1) / 2, labelY, label, { 'text-anchor': 'middle', fill: '#222', 'font-weight': 600 });
  return s;
}
