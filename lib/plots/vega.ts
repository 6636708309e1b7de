// Vega-Lite -> SVG (vega's headless View, renderer 'none') -> PNG (@resvg/resvg-js, system fonts).
// Figures are kept as their Vega-Lite spec (.vl.json) beside the rendered .svg and .png, so
// anyone can restyle them.
// vega / vega-lite / resvg are imported lazily, with dynamic import(): notebooks load lib/ through
// tsx's CommonJS path, where a static import of vega would reach vega-canvas's top-level await.
import { writeFileAtomic, writeJsonAtomic } from '../util/fs.ts';

export type VegaLiteSpec = Record<string, unknown>;

export async function vegaLiteToSvg(spec: VegaLiteSpec): Promise<string> {
  const vega = await import('vega');
  const vl = await import('vega-lite');
  const compiled = vl.compile({ $schema: 'https://vega.github.io/schema/vega-lite/v5.json', ...spec } as Parameters<typeof vl.compile>[0]).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

export async function svgToPng(svg: string, scale = 2): Promise<Uint8Array> {
  const { Resvg } = await import('@resvg/resvg-js');
  return new Resvg(svg, { fitTo: { mode: 'zoom', value: scale }, background: 'white', font: { loadSystemFonts: true } }).render().asPng();
}

/** Writes <outBase>.vl.json, .svg and .png; returns the PNG bytes (for notebooks). */
export async function saveFigure(spec: VegaLiteSpec, outBase: string): Promise<Uint8Array> {
  const svg = await vegaLiteToSvg(spec);
  const png = await svgToPng(svg);
  writeJsonAtomic(`${outBase}.vl.json`, spec);
  writeFileAtomic(`${outBase}.svg`, svg);
  writeFileAtomic(`${outBase}.png`, png);
  return png;
}
