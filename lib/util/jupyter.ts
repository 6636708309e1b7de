// Rich output to the Jupyter front end when the code runs inside the project's tslab kernel:
// one display_data message carrying several MIME types (a Vega-Lite spec *and* its PNG, so
// JupyterLab draws the interactive chart and other viewers the image), and displays that update
// in place (progress). Outside a kernel `jupyterOutput()` is null and callers print as usual.
// tslab's public `display` sends one MIME type per message, so this talks to the writer tslab
// installs for the running cell (`lastWriteDisplayData` of tslab/dist/jupyter.js), found in the
// CommonJS module cache of the kernel process; nothing here loads tslab itself.
import { createRequire } from 'node:module';
import { randomBytes } from 'node:crypto';

/** A Jupyter MIME bundle: MIME type -> data (strings, JSON objects; bytes go base64). */
export type MimeBundle = Record<string, unknown>;

interface DisplayMessage { data: MimeBundle; metadata: Record<string, unknown>; transient: { display_id?: string } }
type Writer = (msg: DisplayMessage, update: boolean) => void;

const requireHere = createRequire(import.meta.url);

function tslabWriter(): Writer | null {
  const cache = requireHere.cache as Record<string, { exports?: { lastWriteDisplayData?: Writer | null } } | undefined>;
  for (const [file, mod] of Object.entries(cache)) {
    if (!/[\\/]tslab[\\/]dist[\\/]jupyter\.js$/.test(file)) continue;
    const w = mod?.exports?.lastWriteDisplayData;
    if (typeof w === 'function') return w;
  }
  return null;
}

/** What lib/ needs from a notebook front end; tests pass their own. */
export interface JupyterOutput {
  /** Shows `bundle`; with an id, a later call with the same id replaces it in place. */
  display(bundle: MimeBundle, id?: string): void;
}

let override: JupyterOutput | null | undefined;

/** For tests: route rich output to `o` (null: behave as outside a kernel; undefined: detect). */
export function setJupyterOutput(o: JupyterOutput | null | undefined): void {
  override = o;
}

/** The running kernel's output, or null outside Jupyter (CLI, tests, scripts). */
export function jupyterOutput(): JupyterOutput | null {
  if (override !== undefined) return override;
  if (tslabWriter() === null) return null;
  const shown = new Set<string>();
  return {
    display(bundle, id) {
      // Looked up on every call: tslab installs a new writer for each cell it executes.
      const w = tslabWriter();
      if (!w) return;
      const update = id !== undefined && shown.has(id);
      if (id !== undefined) shown.add(id);
      w({ data: bundle, metadata: {}, transient: id !== undefined ? { display_id: id } : {} }, update);
    },
  };
}

/** A fresh id for a display that will be updated in place. */
export function newDisplayId(): string {
  return randomBytes(8).toString('hex');
}

/** Escapes text for the text/html part of a bundle. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
}
