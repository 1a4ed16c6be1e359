// Heat map of GPU load over layers (rows) x GPUs (columns) on a canvas; colour is the GPU's
// load divided by the mean GPU load of its layer, so 1.0 is perfect balance.
import { rampRgb } from './palette.js';
import { indexTicks, ticks } from './svg.js';

const M = { left: 64, right: 110, top: 14, bottom: 46 };

/**
 * Draws into `canvas` (its CSS width is kept; height follows the layer count).
 * Returns { hit(clientX, clientY) -> {layer, gpu} | null, maxRatio, hottest }.
 */
export function drawHeatmap(canvas, { gpuLoads, layers: L, gpus: G, nodes, layerLabels, selectedLayer = -1, failedGpus = [] }) {
  const ratio = new Float64Array(L * G);
  let maxRatio = 1, hottest = { layer: 0, gpu: 0, ratio: 0, load: 0 };
  for (let l = 0; l < L; l++) {
    let sum = 0;
    for (let g = 0; g < G; g++) sum += gpuLoads[l * G + g];
    const mean = sum / (G - failedGpus.length); // over the live GPUs (a failed GPU's load is 0)
    for (let g = 0; g < G; g++) {
      const r = mean > 0 ? gpuLoads[l * G + g] / mean : 0;
      ratio[l * G + g] = r;
      if (r > hottest.ratio) hottest = { layer: l, gpu: g, ratio: r, load: gpuLoads[l * G + g] };
    }
  }
  maxRatio = Math.max(1.25, Math.ceil(hottest.ratio * 4) / 4);
  const cssW = canvas.clientWidth || 1000;
  const cellH = Math.max(1, Math.min(9, 460 / L));
  const cssH = Math.round(M.top + M.bottom + cellH * L);
  const dpr = (typeof window !== 'undefined' && window.devicePixelRatio) || 1;
  canvas.style.height = cssH + 'px';
  canvas.width = Math.round(cssW * dpr);
  canvas.height = Math.round(cssH * dpr);
  const ctx = canvas.getContext('2d');
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, cssW, cssH);
  const x0 = M.left, x1 = cssW - M.right, y0 = M.top;
  const cellW = (x1 - x0) / G;

  // Cells, drawn through an offscreen image so large inputs stay fast.
  // Through a table of 1024 colours: thousands of layers make millions of cells.
  const lut = new Uint8Array(1025 * 3);
  for (let k = 0; k <= 1024; k++) lut.set(rampRgb(k / 1024), k * 3);
  const img = ctx.createImageData(G, L);
  const px = img.data;
  const dead = new Uint8Array(G);
  for (const g of failedGpus ?? []) if (g >= 0 && g < G) dead[g] = 1;
  for (let i = 0; i < L * G; i++) {
    if (dead[i % G]) { // a failed GPU: grey
      px[i * 4] = 213; px[i * 4 + 1] = 216; px[i * 4 + 2] = 222;
    } else {
      const k = Math.min(1024, Math.max(0, Math.round((ratio[i] / maxRatio) * 1024))) * 3;
      px[i * 4] = lut[k];
      px[i * 4 + 1] = lut[k + 1];
      px[i * 4 + 2] = lut[k + 2];
    }
    px[i * 4 + 3] = 255;
  }
  const off = document.createElement('canvas');
  off.width = G;
  off.height = L;
  off.getContext('2d').putImageData(img, 0, 0);
  ctx.imageSmoothingEnabled = false;
  ctx.drawImage(off, x0, y0, x1 - x0, cellH * L);

  // Node boundaries.
  const perNode = G / nodes;
  ctx.strokeStyle = '#fff';
  ctx.lineWidth = 2;
  for (let n = 1; n < nodes; n++) {
    const x = x0 + n * perNode * cellW;
    ctx.beginPath(); ctx.moveTo(x, y0); ctx.lineTo(x, y0 + cellH * L); ctx.stroke();
  }
  if (selectedLayer >= 0 && selectedLayer < L) {
    ctx.strokeStyle = '#e53935';
    ctx.lineWidth = 2;
    ctx.strokeRect(x0 - 1, y0 + selectedLayer * cellH - 1, x1 - x0 + 2, cellH + 2);
  }

  // Axes.
  ctx.fillStyle = '#4a5260';
  ctx.font = '11px system-ui, sans-serif';
  ctx.textAlign = 'right';
  ctx.textBaseline = 'middle';
  for (const l of indexTicks(L, Math.floor((cellH * L) / 16))) ctx.fillText(String(layerLabels[l]), x0 - 6, y0 + (l + 0.5) * cellH);
  ctx.textAlign = 'center';
  ctx.textBaseline = 'top';
  const yb = y0 + cellH * L;
  for (const g of indexTicks(G, Math.floor((x1 - x0) / 26))) ctx.fillText(String(g), x0 + (g + 0.5) * cellW, yb + 4);
  if (nodes > 1 && nodes <= 16) {
    ctx.fillStyle = '#222';
    for (let n = 0; n < nodes; n++) ctx.fillText(`node ${n}`, x0 + (n + 0.5) * perNode * cellW, yb + 18);
  }
  ctx.font = '600 12px system-ui, sans-serif';
  ctx.fillStyle = '#222';
  ctx.fillText('GPU', (x0 + x1) / 2, yb + 32);
  ctx.save();
  ctx.translate(16, y0 + (cellH * L) / 2);
  ctx.rotate(-Math.PI / 2);
  ctx.textBaseline = 'middle';
  ctx.fillText('MoE layer', 0, 0);
  ctx.restore();

  // Colour bar.
  const cbX = x1 + 22, cbW = 14, cbTop = y0, cbH = Math.max(80, cellH * L);
  for (let i = 0; i < cbH; i++) {
    const [r, g, b] = rampRgb(1 - i / cbH);
    ctx.fillStyle = `rgb(${r},${g},${b})`;
    ctx.fillRect(cbX, cbTop + i, cbW, 1);
  }
  ctx.font = '11px system-ui, sans-serif';
  ctx.fillStyle = '#4a5260';
  ctx.textAlign = 'left';
  ctx.textBaseline = 'middle';
  for (const v of ticks(0, maxRatio, 5)) {
    const yy = cbTop + cbH * (1 - v / maxRatio);
    ctx.fillRect(cbX + cbW, yy, 4, 1);
    ctx.fillText(`${v.toFixed(2)}×`, cbX + cbW + 7, yy);
  }
  ctx.save();
  ctx.translate(cssW - 8, cbTop + cbH / 2);
  ctx.rotate(-Math.PI / 2);
  ctx.textAlign = 'center';
  ctx.font = '600 11px system-ui, sans-serif';
  ctx.fillStyle = '#222';
  ctx.fillText('load ÷ layer mean', 0, 0);
  ctx.restore();

  return {
    maxRatio,
    hottest,
    hit(clientX, clientY) {
      const r = canvas.getBoundingClientRect();
      const gx = Math.floor((clientX - r.left - x0) / cellW);
      const ly = Math.floor((clientY - r.top - y0) / cellH);
      if (gx < 0 || gx >= G || ly < 0 || ly >= L) return null;
      return { layer: ly, gpu: gx, ratio: ratio[ly * G + gx], load: gpuLoads[ly * G + gx] };
    },
  };
}
