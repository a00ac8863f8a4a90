/**
 * The events-per-minute chart of the last hour (uPlot bars), resized with its card, with a one-line
 * reading beside it ("123 events in the last hour, peak 17/min").
 */
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { byId } from '../dom.js';
import { formatCount } from '../format.js';

const HEIGHT = 180;
const HALF_MINUTE_S = 30;

/** "14:05": axis labels in the viewer's time, 24-hour, no date (the chart spans one hour). */
function clock(seconds: number): string {
  const at = new Date(seconds * 1000);
  return `${String(at.getHours()).padStart(2, '0')}:${String(at.getMinutes()).padStart(2, '0')}`;
}

export class ChartView {
  readonly #container = byId('chart');
  readonly #summary = byId('chart-summary');
  #plot: uPlot | undefined;
  readonly #resize = new ResizeObserver(() => this.#fit());

  constructor() {
    this.#resize.observe(this.#container);
  }

  render(points: { minute: number; events: number }[]): void {
    const data: uPlot.AlignedData = [
      points.map((point) => point.minute / 1000),
      points.map((point) => point.events),
    ];
    const total = points.reduce((sum, point) => sum + point.events, 0);
    const peak = Math.max(0, ...points.map((point) => point.events));
    this.#summary.textContent = `${formatCount(total)} events in the last hour · peak ${formatCount(peak)}/min`;
    this.#container.dataset.total = String(total);
    if (!this.#plot) {
      this.#plot = new uPlot(this.#options(), data, this.#container);
      return;
    }
    this.#plot.setData(data);
  }

  #options(): uPlot.Options {
    const bars = uPlot.paths.bars?.({ size: [0.7, 24], align: 0 });
    return {
      width: Math.max(240, this.#container.clientWidth),
      height: HEIGHT,
      legend: { show: false },
      cursor: { drag: { x: false, y: false }, points: { show: false } },
      scales: {
        // Half a minute of room on each side, so the first and the current minute's bars show whole.
        x: { time: true, range: (_u, min, max) => [min - HALF_MINUTE_S, max + HALF_MINUTE_S] },
        y: { range: (_u, _min, max) => [0, Math.max(5, Math.ceil(max * 1.15))] },
      },
      axes: [
        {
          stroke: '#6b7280',
          grid: { show: false },
          ticks: { stroke: '#e5e7eb' },
          font: '12px system-ui',
          space: 60,
          values: (_u, values) => values.map(clock),
        },
        {
          stroke: '#6b7280',
          grid: { stroke: '#f0f1f4' },
          ticks: { show: false },
          size: 40,
          font: '12px system-ui',
          values: (_u, values) => values.map((value) => (Number.isInteger(value) ? formatCount(value) : '')),
        },
      ],
      series: [
        {},
        {
          label: 'events',
          fill: 'rgba(79, 70, 229, 0.75)',
          stroke: '#4f46e5',
          width: 0,
          paths: bars,
          points: { show: false },
        },
      ],
    };
  }

  /** Removes the chart and stops following its card's size: a next sign-in draws its own. */
  dispose(): void {
    this.#resize.disconnect();
    this.#plot?.destroy();
    this.#plot = undefined;
  }

  #fit(): void {
    const width = this.#container.clientWidth;
    if (this.#plot && width > 0) this.#plot.setSize({ width, height: HEIGHT });
  }
}
