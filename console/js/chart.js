/**
 * Run durations and change counts over time as an inline SVG: one bar per
 * run (height = duration, oldest on the left, coloured by status) and a line
 * of changes applied. The table below it holds the same figures as text, so
 * the chart is summarised for screen readers rather than read out bar by bar.
 */
import { duration, s, totalChanges } from './dom.js';

const WIDTH = 640;
const HEIGHT = 160;
const PAD = { top: 12, right: 72, bottom: 20, left: 52 };

export function runChart(newestFirst) {
  const runs = [...newestFirst].reverse();
  const plotW = WIDTH - PAD.left - PAD.right;
  const plotH = HEIGHT - PAD.top - PAD.bottom;
  const maxMs = Math.max(1, ...runs.map((r) => r.durationMs ?? 0));
  const maxChanges = Math.max(1, ...runs.map((r) => totalChanges(r.counts)));
  const slot = plotW / runs.length;
  const barW = Math.max(2, Math.min(40, slot * 0.6));
  const x = (i) => PAD.left + slot * i + slot / 2;
  const yMs = (ms) => PAD.top + plotH - (ms / maxMs) * plotH;
  const yChanges = (n) => PAD.top + plotH - (n / maxChanges) * plotH;

  const bars = runs.map((r, i) => {
    const ms = r.durationMs ?? 0;
    return s(
      'rect',
      { class: `bar run-${r.status}`, x: (x(i) - barW / 2).toFixed(1), y: yMs(ms).toFixed(1), width: barW.toFixed(1), height: Math.max(1, PAD.top + plotH - yMs(ms)).toFixed(1) },
      s('title', {}, `${new Date(r.startedAt).toLocaleString()}: ${r.status}, ${duration(r.durationMs)}, ${totalChanges(r.counts)} changes`),
    );
  });
  const points = runs.map((r, i) => `${x(i).toFixed(1)},${yChanges(totalChanges(r.counts)).toFixed(1)}`).join(' ');
  const slowest = runs.reduce((a, b) => ((b.durationMs ?? 0) > (a.durationMs ?? 0) ? b : a));
  const summary = `Chart of the last ${runs.length} runs: durations from ${duration(Math.min(...runs.map((r) => r.durationMs ?? 0)))} to ${duration(slowest.durationMs)}, up to ${maxChanges} changes in one run.`;

  return s(
    'svg',
    { class: 'chart', viewBox: `0 0 ${WIDTH} ${HEIGHT}`, role: 'img', 'aria-label': summary, 'data-runs': runs.length },
    s('line', { class: 'axis', x1: PAD.left, y1: PAD.top + plotH, x2: PAD.left + plotW, y2: PAD.top + plotH }),
    s('text', { class: 'label', x: PAD.left - 6, y: PAD.top + 8, 'text-anchor': 'end' }, duration(maxMs)),
    s('text', { class: 'label', x: PAD.left - 6, y: PAD.top + plotH, 'text-anchor': 'end' }, '0'),
    s('text', { class: 'label changes', x: PAD.left + plotW + 6, y: PAD.top + 8 }, `${maxChanges} changes`),
    s('text', { class: 'label', x: PAD.left, y: HEIGHT - 4 }, 'oldest'),
    s('text', { class: 'label', x: PAD.left + plotW, y: HEIGHT - 4, 'text-anchor': 'end' }, 'newest'),
    ...bars,
    runs.length > 1 ? s('polyline', { class: 'changes-line', points }) : null,
    ...runs.map((r, i) => s('circle', { class: 'changes-dot', cx: x(i).toFixed(1), cy: yChanges(totalChanges(r.counts)).toFixed(1), r: 3 })),
  );
}
