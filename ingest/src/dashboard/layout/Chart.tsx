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
}

const formatX = (x: number, kind: ChartProps['xKind']) => (kind === 'time' ? new Date(x * 1000).toISOString().slice(0, 10) : String(x));

/**
 * A chart drawn in the browser by uPlot (see `assets/app.js`) from data in the page, with the
 * same figures as a table for screen readers and for browsers without JavaScript. The page
 * must be rendered with `{ charts: true }`.
 *
 * @example
 * <Chart title="Visitors a day" xKind="time" x={days} series={[{ label: 'Visitors', values }]} />
 */
export function Chart({ title, x, series, xKind = 'time', xLabel, bars, xRange, xStep }: ChartProps) {
  const spec = JSON.stringify({ x, series, xKind, xLabel, bars: !!bars, xRange, xStep });
  return (
    <figure class="chart">
      <figcaption>{title}</figcaption>
      <div class="chart-canvas" data-chart={spec} aria-hidden="true"></div>
      <details class="chart-data">
        <summary>Show the figures</summary>
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
                <th scope="row">{formatX(value, xKind)}</th>
                {series.map((s) => (
                  <td>{s.values[i] ?? '–'}</td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </details>
    </figure>
  );
}
