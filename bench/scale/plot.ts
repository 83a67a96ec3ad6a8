/**
 * Growth-curve plots for `npm run bench -- scale`: Apache ECharts' server-side SVG renderer
 * (`echarts.init(null, null, { renderer: 'svg', ssr: true })`, `renderToSVGString()`), one line
 * per measured series over the sizes, log-scaled x (sizes grow tenfold) and y (ratios to the
 * smallest size, so a flat curve is 1× whatever the absolute cost).
 */
import { writeFileSync } from 'node:fs';
import * as echarts from 'echarts';

export interface Series {
  name: string;
  /** One value per size, same order as `sizes`. */
  values: number[];
}

/** Writes `file` (SVG): `series` over `sizes`, each as its ratio to its value at the first size. */
export function plotRatios(
  file: string,
  title: string,
  xName: string,
  sizes: number[],
  series: Series[],
): void {
  const chart = echarts.init(null, null, { renderer: 'svg', ssr: true, width: 820, height: 460 });
  chart.setOption({
    animation: false,
    backgroundColor: '#ffffff',
    title: { text: title, left: 'center', textStyle: { fontSize: 15 } },
    legend: { bottom: 0, type: 'plain' },
    grid: { left: 70, right: 30, top: 50, bottom: 90 },
    xAxis: {
      type: 'log',
      name: xName,
      nameLocation: 'middle',
      nameGap: 28,
      min: sizes[0],
      max: sizes[sizes.length - 1],
    },
    yAxis: {
      type: 'log',
      name: 'ratio to smallest size',
      nameLocation: 'middle',
      nameGap: 50,
      // Whole powers of ten at the ends, so the end labels are round numbers.
      min: (v: { min: number }) => Math.min(0.1, 10 ** Math.floor(Math.log10(v.min))),
      max: (v: { max: number }) => Math.max(10, 10 ** Math.ceil(Math.log10(v.max))),
    },
    series: series.map((s) => ({
      name: s.name,
      type: 'line',
      symbolSize: 7,
      data: sizes.map((size, i) => [size, s.values[i] / s.values[0]]),
    })),
  });
  writeFileSync(file, chart.renderToSVGString());
  chart.dispose();
}
