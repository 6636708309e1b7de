// Loaders for the caption files the scorer reads, with pycocotools' rules where they matter:
//  * references: COCO annotation JSON ({"images"?: [{"id"}], "annotations": [{"image_id", "caption"}]}),
//    a Karpathy split JSON (lib/data/karpathy.ts; ids = cocoid, else imgid; raw captions), or a plain
//    map {"<image id>": ["caption", ...]} (also the "gts" of a {"gts": {...}} object);
//  * candidates: COCO results JSON ([{"image_id", "caption"}]) or a plain map {"<image id>": "caption"}.
// Image order follows pycocotools: the "images" list of a COCO file when present (COCOEvalCap scores
// cocoRes.getImgIds(), which keeps that order), else first appearance. Divergences: a duplicated image
// id in candidates is an error naming it (pycocoevalcap fails later on an assertion), and ids are
// matched by their string form (1 and "1" are the same image).
import { readJson } from '../util/fs.ts';
import { DbridgeError } from '../util/errors.ts';
import { parseKarpathy } from '../data/karpathy.ts';

export type ImageId = number | string;

function checkId(v: unknown, where: string): ImageId {
  if ((typeof v === 'number' && Number.isFinite(v)) || (typeof v === 'string' && v.length > 0)) return v;
  throw new DbridgeError(`${where}: "image_id" must be a number or a non-empty string, got ${JSON.stringify(v)}`);
}

function checkCaption(v: unknown, where: string): string {
  if (typeof v !== 'string') throw new DbridgeError(`${where}: "caption" must be a string, got ${JSON.stringify(v)}`);
  return v;
}

function listIds(ids: ImageId[], max = 10): string {
  return ids.slice(0, max).map(String).join(', ') + (ids.length > max ? `, ... (${ids.length} in all)` : '');
}

/** Parses references (already-parsed JSON); `name` is used in error messages. */
export function parseReferences(json: unknown, name: string): Map<ImageId, string[]> {
  const refs = new Map<ImageId, string[]>();
  const byKey = new Map<string, ImageId>();
  const add = (id: ImageId, caps: string[]) => {
    const key = String(id);
    const have = byKey.get(key);
    if (have !== undefined) refs.get(have)!.push(...caps);
    else { byKey.set(key, id); refs.set(id, [...caps]); }
  };
  if (!json || typeof json !== 'object') throw new DbridgeError(`${name}: references must be a JSON object (COCO annotations, Karpathy split or {"<id>": [captions]})`);
  const top = json as Record<string, unknown>;
  if (Array.isArray(top.annotations)) {
    if (Array.isArray(top.images)) {
      top.images.forEach((im, i) => {
        if (!im || typeof im !== 'object') throw new DbridgeError(`${name}: images[${i}] is not an object`);
        add(checkId((im as Record<string, unknown>).id, `${name}: images[${i}].id`), []);
      });
    }
    top.annotations.forEach((a, i) => {
      const where = `${name}: annotations[${i}]`;
      if (!a || typeof a !== 'object') throw new DbridgeError(`${where} is not an object`);
      const ann = a as Record<string, unknown>;
      const id = checkId(ann.image_id, where);
      if (Array.isArray(top.images) && !byKey.has(String(id))) throw new DbridgeError(`${where}: image_id ${id} is not in "images"`);
      add(id, [checkCaption(ann.caption, where)]);
    });
    return refs;
  }
  if (Array.isArray(top.images)) {
    const ds = parseKarpathy(json, name);
    for (const im of ds.images) add(im.id, im.captions);
    return refs;
  }
  const map = top.gts && typeof top.gts === 'object' && !Array.isArray(top.gts) ? (top.gts as Record<string, unknown>) : top;
  if (Array.isArray(json)) throw new DbridgeError(`${name}: references must be an object, not a list (a list looks like a COCO results file of candidates)`);
  for (const [k, v] of Object.entries(map)) {
    if (!Array.isArray(v)) throw new DbridgeError(`${name}: references of image ${k} must be a list of captions`);
    add(k, v.map((c, i) => checkCaption(c, `${name}: image ${k} caption ${i}`)));
  }
  return refs;
}

/** Parses candidates (already-parsed JSON): a COCO results list or {"<id>": "caption"}. */
export function parseCandidates(json: unknown, name: string): Map<ImageId, string> {
  const cands = new Map<ImageId, string>();
  const seen = new Set<string>();
  const dups: ImageId[] = [];
  const add = (id: ImageId, cap: string) => {
    const key = String(id);
    if (seen.has(key)) { dups.push(id); return; }
    seen.add(key);
    cands.set(id, cap);
  };
  if (Array.isArray(json)) {
    json.forEach((r, i) => {
      const where = `${name}: [${i}]`;
      if (!r || typeof r !== 'object') throw new DbridgeError(`${where} is not an object with "image_id" and "caption"`);
      const rec = r as Record<string, unknown>;
      add(checkId(rec.image_id, where), checkCaption(rec.caption, where));
    });
  } else if (json && typeof json === 'object') {
    const top = json as Record<string, unknown>;
    const map = top.res && typeof top.res === 'object' ? (top.res as Record<string, unknown>) : top;
    for (const [k, v] of Object.entries(map)) {
      const cap = Array.isArray(v) && v.length === 1 ? v[0] : v;
      add(k, checkCaption(cap, `${name}: image ${k}`));
    }
  } else {
    throw new DbridgeError(`${name}: candidates must be a COCO results list [{"image_id", "caption"}]`);
  }
  if (dups.length) throw new DbridgeError(`${name}: ${dups.length} duplicated image id(s) in candidates (one caption per image): ${listIds(dups)}`);
  return cands;
}

export function loadReferences(path: string): Map<ImageId, string[]> {
  return parseReferences(readJson(path, 'references file'), path);
}

export function loadCandidates(path: string): Map<ImageId, string> {
  return parseCandidates(readJson(path, 'candidates file'), path);
}

export { listIds };
