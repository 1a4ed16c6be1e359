// Tables of the benchmark report, rendered as aligned text (stdout) or markdown (--markdown FILE).

/**
 * A section: { title, command, notes: string[], tables: [{ caption?, columns: string[],
 * rows: (string|number|null)[][], align?: ('l'|'r')[] }] }.
 */
export function renderText(sections, header) {
  const out = [];
  if (header) out.push(...header.map((l) => l.replace(/`/g, '')), '');
  for (const s of sections) {
    out.push(`== ${s.title} ==`);
    if (s.command) out.push(`$ ${s.command}`);
    for (const t of s.tables) {
      if (t.caption) out.push('', t.caption.replace(/`/g, ''));
      const cells = [t.columns, ...t.rows.map((r) => r.map(cellText))];
      const widths = t.columns.map((_, i) => Math.max(...cells.map((r) => String(r[i] ?? '').length)));
      const align = t.align ?? t.columns.map((_, i) => (i === 0 ? 'l' : 'r'));
      const line = (r) => r.map((c, i) => (align[i] === 'l' ? String(c ?? '').padEnd(widths[i]) : String(c ?? '').padStart(widths[i]))).join('  ').trimEnd();
      out.push(line(t.columns), widths.map((w) => '-'.repeat(w)).join('  '));
      for (const r of cells.slice(1)) out.push(line(r));
    }
    for (const n of s.notes ?? []) out.push(`  * ${n.replace(/`/g, '')}`);
    out.push('');
  }
  return out.join('\n');
}

export function renderMarkdown(sections, header) {
  const out = [];
  if (header) out.push(...header, '');
  for (const s of sections) {
    out.push(`### ${s.title}`, '');
    if (s.command) out.push('```', s.command, '```', '');
    for (const t of s.tables) {
      if (t.caption) out.push(t.caption, '');
      const align = t.align ?? t.columns.map((_, i) => (i === 0 ? 'l' : 'r'));
      out.push(`| ${t.columns.join(' | ')} |`, `|${align.map((a) => (a === 'l' ? '---' : '---:')).join('|')}|`);
      for (const r of t.rows) out.push(`| ${r.map((c) => cellText(c).replace(/\|/g, '\\|')).join(' | ')} |`);
      out.push('');
    }
    for (const n of s.notes ?? []) out.push(`- ${n}`);
    if (s.notes?.length) out.push('');
  }
  return out.join('\n');
}

function cellText(c) {
  if (c === null || c === undefined) return '-';
  if (typeof c === 'number') return Number.isFinite(c) ? String(c) : '-';
  return String(c);
}

// Number formats.
export const f4 = (x) => (x === null || x === undefined || !Number.isFinite(x) ? '-' : x.toFixed(4));
export const f1 = (x) => (x === null || x === undefined || !Number.isFinite(x) ? '-' : x.toFixed(1));
export const pct = (x) => (x === null || x === undefined || !Number.isFinite(x) ? '-' : `${(100 * x).toFixed(1)}%`);
export function ms(x) {
  if (x === null || x === undefined || !Number.isFinite(x)) return '-';
  if (x >= 100) return x.toFixed(0);
  if (x >= 10) return x.toFixed(1);
  if (x >= 1) return x.toFixed(2);
  return x.toFixed(3);
}
export function ratio(x) {
  if (x === null || x === undefined || !Number.isFinite(x)) return '-';
  return x >= 100 ? `${x.toFixed(0)}x` : `${x.toFixed(x >= 10 ? 1 : 2)}x`;
}
export const minAvg = (xs, fmt = f4) => (xs.length ? `${fmt(Math.min(...xs))} / ${fmt(mean(xs))}` : '-');
export const avgMax = (xs, fmt = f4) => (xs.length ? `${fmt(mean(xs))} / ${fmt(Math.max(...xs))}` : '-');
export const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
export function median(xs) {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}
