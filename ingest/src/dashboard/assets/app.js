// The dashboard's only script: it draws charts, submits the site switch and helps forms along. Pages work
// without it (charts fall back to their tables, the switch to its button).
'use strict';

const PALETTE = ['#2563eb', '#dc2626', '#16a34a', '#9333ea', '#ea580c', '#0891b2'];

function drawChart(el) {
  const spec = JSON.parse(el.dataset.chart);
  const width = () => Math.max(240, el.clientWidth);
  const opts = {
    width: width(),
    height: 220,
    scales: {
      x: {
        time: spec.xKind === 'time',
        // The page's range while every point is in view (uPlot ranges a lone time point to
        // [t, t + 1000 days]); a zoom into part of the data keeps its own.
        range: spec.xRange ? (u, min, max) => (min <= u.data[0][0] && max >= u.data[0][u.data[0].length - 1] ? spec.xRange.slice() : [min, max]) : undefined,
      },
    },
    axes: [
      {
        label: spec.xKind === 'time' ? undefined : spec.xLabel,
        // Ticks no closer than the data's step (a day for daily figures), and at least 50 px apart.
        space: spec.xStep ? (u, i, min, max, dim) => Math.max(50, (dim * spec.xStep) / Math.max(max - min, spec.xStep)) : undefined,
      },
      {},
    ],
    series: [
      {},
      ...spec.series.map((s, i) => ({
        label: s.label,
        stroke: PALETTE[i % PALETTE.length],
        fill: spec.bars ? PALETTE[i % PALETTE.length] + '55' : undefined,
        paths: spec.bars && window.uPlot.paths.bars ? window.uPlot.paths.bars({ size: [0.8] }) : undefined,
        points: { show: spec.x.length < 40 },
      })),
    ],
  };
  const plot = new window.uPlot(opts, [spec.x, ...spec.series.map((s) => s.values)], el);
  new ResizeObserver(() => plot.setSize({ width: width(), height: 220 })).observe(el);
}

document.addEventListener('DOMContentLoaded', () => {
  if (window.uPlot) document.querySelectorAll('[data-chart]').forEach(drawChart);
  document.querySelectorAll('select[data-autosubmit]').forEach((select) => select.addEventListener('change', () => select.form.submit()));
  // Enter in a field answers with the button it belongs to (a form's first button could be another answer).
  document.querySelectorAll('input[data-enter-clicks]').forEach((input) =>
    input.addEventListener('keydown', (e) => {
      if (e.key !== 'Enter' || e.isComposing) return;
      e.preventDefault();
      document.getElementById(input.dataset.enterClicks)?.click();
    }),
  );
  document.querySelectorAll('form[data-confirm]').forEach((form) =>
    form.addEventListener('submit', (e) => {
      if (!window.confirm(form.dataset.confirm)) e.preventDefault();
    }),
  );
  // A page following work under way (a rescore) reloads itself, unless something was typed into it.
  const following = document.querySelector('[data-refresh]');
  if (following)
    setTimeout(() => {
      if ([...document.querySelectorAll('textarea, input:not([type=hidden])')].every((el) => el.value === el.defaultValue)) window.location.reload();
    }, Number(following.dataset.refresh) * 1000);
});
