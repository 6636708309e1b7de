// Vega-Lite -> SVG (vega's headless View, renderer 'none') -> PNG (@resvg/resvg-js, system fonts).
// Figures are kept as their Vega-Lite spec (.vl.json) beside the rendered .svg and .png, so
// anyone can restyle them; in a notebook the same spec object is shown as Vega-Lite (JupyterLab
// draws it interactively, with tooltips and vega-embed's actions menu) with the PNG as fallback
// for viewers without a Vega renderer (GitHub, nbviewer, exported HTML).
// vega / vega-lite / resvg are imported lazily, with dynamic import(): notebooks load lib/ through
// tsx's CommonJS path, where a static import of vega would reach vega-canvas's top-level await.
import { writeFileAtomic, writeJsonAtomic } from '../util/fs.ts';
import { jupyterOutput, type MimeBundle } from '../util/jupyter.ts';

export type VegaLiteSpec = Record<string, unknown>;

/** Jupyter's MIME type for a Vega-Lite 5 spec (the object itself, not a JSON string). */
export const VEGALITE_MIME = 'application/vnd.vegalite.v5+json';
const VEGALITE_SCHEMA = 'https://vega.github.io/schema/vega-lite/v5.json';

/**
 * The spec as written and shown: the figure's own spec plus the schema and tooltips on every mark
 * (a spec's own `$schema` / `config` win).
 */
export function completeSpec(spec: VegaLiteSpec): VegaLiteSpec {
  const config = (spec.config ?? {}) as Record<string, unknown>;
  const mark = (config.mark ?? {}) as Record<string, unknown>;
  return { $schema: VEGALITE_SCHEMA, ...spec, config: { ...config, mark: { tooltip: true, ...mark } } };
}

export async function vegaLiteToSvg(spec: VegaLiteSpec): Promise<string> {
  const vega = await import('vega');
  const vl = await import('vega-lite');
  // vega tags the data rows it ingests; render a copy so the caller's spec stays as it was
  const compiled = vl.compile(structuredClone(completeSpec(spec)) as unknown as Parameters<typeof vl.compile>[0]).spec;
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

/** Writes <outBase>.vl.json, .svg and .png; returns the PNG bytes. */
export async function saveFigure(spec: VegaLiteSpec, outBase: string): Promise<Uint8Array> {
  const full = completeSpec(spec);
  const svg = await vegaLiteToSvg(full);
  const png = await svgToPng(svg);
  writeJsonAtomic(`${outBase}.vl.json`, full);
  writeFileAtomic(`${outBase}.svg`, svg);
  writeFileAtomic(`${outBase}.png`, png);
  return png;
}

/** One MIME bundle for a figure: the Vega-Lite spec (object), its PNG (base64) and a text line. */
export function figureBundle(spec: VegaLiteSpec, png: Uint8Array): MimeBundle {
  const full = completeSpec(spec);
  const title = typeof full.title === 'string' ? full.title : 'figure';
  return { [VEGALITE_MIME]: full, 'image/png': Buffer.from(png).toString('base64'), 'text/plain': `<Vega-Lite figure: ${title}>` };
}

/**
 * Saves the figure under `outBase` (.vl.json, .svg, .png) and, in a notebook, shows it: interactive
 * Vega-Lite in JupyterLab, the PNG elsewhere. Outside a notebook it only saves. Returns nothing, so
 * that a cell ending with it prints nothing more.
 */
export async function showFigure(spec: VegaLiteSpec, outBase: string): Promise<void> {
  const png = await saveFigure(spec, outBase);
  jupyterOutput()?.display(figureBundle(spec, png));
}
