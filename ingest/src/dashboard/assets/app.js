// The dashboard's only script: it draws charts, submits the site switch and helps forms along. Pages work
// without it (charts fall back to their tables, the switch to its button).
'use strict';

const PALETTE = ['#2563eb', '#dc2626', '#16a34a', '#9333ea', '#ea580c', '#0891b2'];
/** Colours of marked x values (thresholds), in the order the page gives them; the page's key says the same in words. */
const MARKER_COLORS = ['#374151', '#ea580c', '#0891b2'];

/** A scale range that is `full` while every point is in view; a zoom into part of the data keeps its own. */
const keepWhileAllInView = (full) => (u, min, max) => (min <= u.data[0][0] && max >= u.data[0][u.data[0].length - 1] ? full.slice() : [min, max]);

/** Draws each marker as a dashed vertical line across the plot, named with its value at the top. */
function drawMarkers(u, markers) {
  const { ctx } = u;
  const { left, top, width, height } = u.bbox;
  const px = window.devicePixelRatio || 1;
  ctx.save();
  markers.forEach((m, i) => {
    const x = Math.round(u.valToPos(m.x, 'x', true));
    if (x < left - 1 || x > left + width + 1) return;
    const color = MARKER_COLORS[i % MARKER_COLORS.length];
    ctx.strokeStyle = color;
    ctx.lineWidth = 2 * px;
    ctx.setLineDash([6 * px, 4 * px]);
    ctx.beginPath();
    ctx.moveTo(x, top);
    ctx.lineTo(x, top + height);
    ctx.stroke();
    ctx.setLineDash([]);
    const text = `${m.label} ${m.x}`;
    ctx.font = `600 ${Math.round(12 * px)}px system-ui, sans-serif`;
    ctx.fillStyle = color;
    ctx.textBaseline = 'top';
    // Beside the line, on the side where the name fits inside the plot.
    const fitsRight = x + 4 * px + ctx.measureText(text).width <= left + width;
    ctx.textAlign = fitsRight ? 'left' : 'right';
    ctx.fillText(text, fitsRight ? x + 4 * px : x - 4 * px, top + 4 * px + i * 16 * px);
  });
  ctx.restore();
}

function drawChart(el) {
  const spec = JSON.parse(el.dataset.chart);
  const width = () => Math.max(240, el.clientWidth);
  const markers = spec.markers || [];
  // uPlot merges options key by key, so a key given as undefined would wipe its default (an
  // x axis without `space` draws no labels): set only what the chart asks for.
  const xScale = { time: spec.xKind === 'time' };
  const xAxis = {};
  const opts = { width: width(), height: 220, scales: { x: xScale }, axes: [xAxis, {}] };
  let x = spec.x;
  if (spec.xKind === 'time') {
    // The pages count whole UTC days: the axis says their dates, wherever the browser is.
    opts.tzDate = (ts) => window.uPlot.tzDate(new Date(ts * 1e3), 'Etc/UTC');
  } else if (spec.xLabel) {
    xAxis.label = spec.xLabel;
  }
  // The page's range while every point is in view (uPlot ranges a lone time point to
  // [t, t + 1000 days]).
  if (spec.xRange) xScale.range = keepWhileAllInView(spec.xRange);
  // Ticks no closer than the data's step (a day for daily figures), and at least 50 px apart.
  if (spec.xStep) xAxis.space = (u, i, min, max, dim) => Math.max(50, (dim * spec.xStep) / Math.max(max - min, spec.xStep));
  const bins = spec.bars && spec.binWidth ? spec.binWidth : 0;
  if (bins) {
    // Each x starts a bin [x, x + width): its bars stand inside it, ticks fall on bin edges, and
    // the range holds every bin whole (and every marker).
    x = spec.x.map((v) => v + bins / 2);
    const ends = [spec.x[0], spec.x[spec.x.length - 1] + bins, ...markers.map((m) => m.x)];
    xScale.range = keepWhileAllInView([Math.min(...ends), Math.max(...ends)]);
    xAxis.incrs = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000].map((m) => m * bins);
  }
  const bars = (i) => {
    if (!spec.bars || !window.uPlot.paths.bars) return undefined;
    // Two series in bins stand side by side (the first left of the bin's middle); else centred.
    if (bins && spec.series.length === 2) return window.uPlot.paths.bars({ size: [0.4], align: i === 0 ? -1 : 1 });
    return window.uPlot.paths.bars({ size: [0.8] });
  };
  const xSeries = {};
  if (spec.xKind !== 'time' && spec.xLabel) xSeries.label = spec.xLabel;
  // The legend names the bin under the cursor, not its middle.
  if (bins) xSeries.value = (u, v) => (v == null ? '--' : `${+(v - bins / 2).toFixed(2)}–${+(v + bins / 2).toFixed(2)}`);
  opts.series = [
    xSeries,
    ...spec.series.map((s, i) => {
      const series = { label: s.label, stroke: PALETTE[i % PALETTE.length], points: { show: !spec.bars && spec.x.length < 40 } };
      if (spec.bars) series.fill = PALETTE[i % PALETTE.length] + '55';
      if (bars(i)) series.paths = bars(i);
      return series;
    }),
  ];
  if (markers.length) opts.hooks = { draw: [(u) => drawMarkers(u, markers)] };
  const plot = new window.uPlot(opts, [x, ...spec.series.map((s) => s.values)], el);
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
  // A period form: editing a date means custom dates; a preset sends no dates, so its address
  // (a bookmark) keeps meaning "the last N days". Without the script the server tells edited
  // dates from those the form showed.
  document.querySelectorAll('form[data-period-form]').forEach((form) => {
    const select = form.querySelector('select[name=period]');
    form.querySelectorAll('input[type=date]').forEach((input) => input.addEventListener('input', () => (select.value = 'custom')));
    form.addEventListener('formdata', (e) => {
      e.formData.delete('shownFrom');
      e.formData.delete('shownTo');
      if (e.formData.get('period') !== 'custom') ['from', 'to'].forEach((name) => e.formData.delete(name));
    });
  });
  document.querySelectorAll('form[data-confirm]').forEach((form) =>
    form.addEventListener('submit', (e) => {
      if (!window.confirm(form.dataset.confirm)) e.preventDefault();
    }),
  );
  // A wide table's scroll region is in the tab order only while it has something to scroll.
  const scrollers = document.querySelectorAll('.table-scroll');
  if (scrollers.length && window.ResizeObserver) {
    const fit = (el) => (el.scrollWidth > el.clientWidth + 1 ? el.setAttribute('tabindex', '0') : el.removeAttribute('tabindex'));
    const observer = new ResizeObserver((entries) => entries.forEach((entry) => fit(entry.target.closest('.table-scroll'))));
    scrollers.forEach((el) => {
      observer.observe(el);
      if (el.firstElementChild) observer.observe(el.firstElementChild);
    });
  }
  // A page following work under way (a rescore) reloads itself, unless something was typed into it.
  const following = document.querySelector('[data-refresh]');
  if (following)
    setTimeout(() => {
      if ([...document.querySelectorAll('textarea, input:not([type=hidden])')].every((el) => el.value === el.defaultValue)) window.location.reload();
    }, Number(following.dataset.refresh) * 1000);
});
