// Vega-Lite -> SVG (vega's headless View, renderer 'none') -> PNG (@resvg/resvg-js, system fonts).
// Figures are kept as their Vega-Lite spec (.vl.json) beside the rendered .svg and .png, so
// anyone can restyle them.
import * as vega from 'vega';
import * as vl from 'vega-lite';
import { Resvg } from '@resvg/resvg-js';
import { writeFileAtomic, writeJsonAtomic } from '../util/fs.ts';

export type VegaLiteSpec = Record<string, unknown>;

export async function vegaLiteToSvg(spec: VegaLiteSpec): Promise<string> {
  const compiled = vl.compile({ $schema: 'https://vega.github.io/schema/vega-lite/v5.json', ...spec } as vl.TopLevelSpec).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

export function svgToPng(svg: string, scale = 2): Uint8Array {
  return new Resvg(svg, { fitTo: { mode: 'zoom', value: scale }, background: 'white', font: { loadSystemFonts: true } }).render().asPng();
}

/** Writes <outBase>.vl.json, .svg and .png; returns the PNG bytes (for notebooks). */
export async function saveFigure(spec: VegaLiteSpec, outBase: string): Promise<Uint8Array> {
  const svg = await vegaLiteToSvg(spec);
  const png = svgToPng(svg);
  writeJsonAtomic(`${outBase}.vl.json`, spec);
  writeFileAtomic(`${outBase}.svg`, svg);
  writeFileAtomic(`${outBase}.png`, png);
  return png;
}
