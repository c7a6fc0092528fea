import { TableScroll } from './TableScroll.js';

/** One line (or bar) series of a chart. */
export interface ChartSeries {
  label: string;
  values: (number | null)[];
}

export interface ChartProps {
  /** Says what the chart shows; also the caption and the data table's caption. */
  title: string;
  /** x values: Unix seconds for time axes (uPlot's convention), else plain numbers. */
  x: number[];
  series: ChartSeries[];
  /** `time`: x holds Unix seconds, shown as dates. */
  xKind?: 'time' | 'number';
  /** Label of the x axis when it is not time (for example "score"). */
  xLabel?: string;
  bars?: boolean;
  /** The x range to show when all the data is in view, [min, max] in x's unit; uPlot's own when absent. */
  xRange?: [number, number];
  /** The least spacing of x ticks, in x's unit (86400 for daily figures on a time axis). */
  xStep?: number;
  /** With `bars`: each x starts a bin `[x, x + binWidth)`; bars stand inside their bin and ticks fall on bin edges. */
  binWidth?: number;
  /** x values to mark with a dashed line (thresholds): `label` is drawn beside the line with the value, `description` says it in the page's text. */
  markers?: ChartMarker[];
}

/** An x value marked on a chart. */
export interface ChartMarker {
  x: number;
  /** Short, drawn on the chart with the value: "Draft" gives "Draft 15". */
  label: string;
  /** The same in words, under the chart: "the draft’s threshold: 15". */
  description: string;
}

const formatX = (x: number, kind: ChartProps['xKind'], binWidth?: number) =>
  kind === 'time' ? new Date(x * 1000).toISOString().slice(0, 10) : binWidth ? `${x} to under ${Math.round((x + binWidth) * 100) / 100}` : String(x);

/**
 * A chart drawn in the browser by uPlot (see `assets/app.js`) from data in the page, with the
 * same figures as a table for screen readers and for browsers without JavaScript. The page
 * must be rendered with `{ charts: true }`.
 *
 * @example
 * <Chart title="Visitors a day" xKind="time" x={days} series={[{ label: 'Visitors', values }]} />
 */
export function Chart({ title, x, series, xKind = 'time', xLabel, bars, xRange, xStep, binWidth, markers }: ChartProps) {
  const spec = JSON.stringify({ x, series, xKind, xLabel, bars: !!bars, xRange, xStep, binWidth, markers: markers?.map(({ x, label }) => ({ x, label })) });
  return (
    <figure class="chart">
      <figcaption>{title}</figcaption>
      <div class="chart-canvas" data-chart={spec} aria-hidden="true"></div>
      {markers?.length ? (
        <p class="chart-key">
          Dashed lines mark {markers.map((m, i) => (i === 0 ? m.description : i === markers.length - 1 ? ` and ${m.description}` : `, ${m.description}`))}.
        </p>
      ) : null}
      <details class="chart-data">
        <summary>Show the figures</summary>
        <TableScroll label={title}>
          <table>
            <caption class="sr-only">{title}</caption>
            <thead>
              <tr>
                <th scope="col">{xKind === 'time' ? 'Date' : (xLabel ?? 'x')}</th>
                {series.map((s) => (
                  <th scope="col">{s.label}</th>
                ))}
              </tr>
            </thead>
            <tbody>
              {x.map((value, i) => (
                <tr>
                  <th scope="row">{formatX(value, xKind, binWidth)}</th>
                  {series.map((s) => (
                    <td>{s.values[i] ?? '–'}</td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </TableScroll>
      </details>
    </figure>
  );
}
