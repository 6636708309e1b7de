// English stemmer for METEOR_approx's "stem" stage: the Snowball English stemmer (Porter2, M. Porter's
// revision of the Porter algorithm), which is what METEOR 1.5 runs for `-l en` (it bundles the
// Snowball stemmers). Written from the published algorithm description
// (snowballstem.org/algorithms/english/stemmer.html): exceptional forms, R1/R2 regions, steps 0-5.

const VOWELS = new Set(['a', 'e', 'i', 'o', 'u', 'y']);
const isVowel = (c: string | undefined) => c !== undefined && VOWELS.has(c);
const DOUBLES = new Set(['bb', 'dd', 'ff', 'gg', 'mm', 'nn', 'pp', 'rr', 'tt']);
const LI_ENDINGS = new Set(['c', 'd', 'e', 'g', 'h', 'k', 'm', 'n', 'r', 't']);

const EXCEPTIONS: Record<string, string> = {
  skis: 'ski', skies: 'sky', dying: 'die', lying: 'lie', tying: 'tie', idly: 'idl', gently: 'gentl', ugly: 'ugli',
  early: 'earli', only: 'onli', singly: 'singl', sky: 'sky', news: 'news', howe: 'howe', atlas: 'atlas',
  cosmos: 'cosmos', bias: 'bias', andes: 'andes',
};
const AFTER_1A = new Set(['inning', 'outing', 'canning', 'herring', 'earring', 'proceed', 'exceed', 'succeed']);

// vowel test that treats 'Y' (consonant y) as a consonant
const v = (w: string, i: number) => isVowel(w[i]);

function regionStart(w: string, from: number): number {
  for (let i = from + 1; i < w.length; i++) if (!v(w, i) && v(w, i - 1)) return i + 1;
  return w.length;
}

function endsShortSyllable(w: string): boolean {
  const n = w.length;
  if (n === 2) return v(w, 0) && !v(w, 1);
  if (n >= 3) {
    const c = w[n - 1];
    return !v(w, n - 3) && v(w, n - 2) && !v(w, n - 1) && c !== 'w' && c !== 'x' && c !== 'Y';
  }
  return false;
}

function longest(w: string, suffixes: string[]): string | null {
  let best: string | null = null;
  for (const s of suffixes) if (w.endsWith(s) && (best === null || s.length > best.length)) best = s;
  return best;
}

const hasVowel = (s: string) => { for (let i = 0; i < s.length; i++) if (v(s, i)) return true; return false; };

const STEP2: Record<string, string> = {
  tional: 'tion', enci: 'ence', anci: 'ance', abli: 'able', entli: 'ent', izer: 'ize', ization: 'ize',
  ational: 'ate', ation: 'ate', ator: 'ate', alism: 'al', aliti: 'al', alli: 'al', fulness: 'ful',
  ousli: 'ous', ousness: 'ous', iveness: 'ive', iviti: 'ive', biliti: 'ble', bli: 'ble', ogi: 'og',
  fulli: 'ful', lessli: 'less', li: '',
};
const STEP3: Record<string, string> = {
  tional: 'tion', ational: 'ate', alize: 'al', icate: 'ic', iciti: 'ic', ical: 'ic', ful: '', ness: '', ative: '',
};
const STEP4 = ['al', 'ance', 'ence', 'er', 'ic', 'able', 'ible', 'ant', 'ement', 'ment', 'ent', 'ism', 'ate', 'iti', 'ous', 'ive', 'ize', 'ion'];

/** Snowball English stem of a lower-case word. */
export function stem(word: string): string {
  if (word.length <= 2) return word;
  if (EXCEPTIONS[word] !== undefined) return EXCEPTIONS[word];
  let w = word.replace(/^'/, '');
  // consonant y
  if (w[0] === 'y') w = 'Y' + w.slice(1);
  for (let i = 1; i < w.length; i++) if (w[i] === 'y' && v(w, i - 1)) w = w.slice(0, i) + 'Y' + w.slice(i + 1);
  let r1: number;
  const pre = ['gener', 'commun', 'arsen'].find((p) => w.startsWith(p));
  if (pre) r1 = pre.length;
  else r1 = regionStart(w, 0);
  const r2 = regionStart(w, r1);
  const inR1 = (suffixLen: number) => w.length - suffixLen >= r1;
  const inR2 = (suffixLen: number) => w.length - suffixLen >= r2;

  // step 0
  const s0 = longest(w, ["'s'", "'s", "'"]);
  if (s0) w = w.slice(0, -s0.length);
  // step 1a
  const s1a = longest(w, ['sses', 'ied', 'ies', 'us', 'ss', 's']);
  if (s1a === 'sses') w = w.slice(0, -2);
  else if (s1a === 'ied' || s1a === 'ies') w = w.length - 3 > 1 ? w.slice(0, -2) : w.slice(0, -1);
  else if (s1a === 's') {
    const stemPart = w.slice(0, -1);
    if (hasVowel(stemPart.slice(0, -1))) w = stemPart;
  }
  if (AFTER_1A.has(w)) return w;
  // step 1b
  const s1b = longest(w, ['eed', 'eedly', 'ed', 'edly', 'ing', 'ingly']);
  if (s1b === 'eed' || s1b === 'eedly') {
    if (inR1(s1b.length)) w = w.slice(0, -s1b.length) + 'ee';
  } else if (s1b) {
    const stemPart = w.slice(0, -s1b.length);
    if (hasVowel(stemPart)) {
      w = stemPart;
      if (w.endsWith('at') || w.endsWith('bl') || w.endsWith('iz')) w += 'e';
      else if (DOUBLES.has(w.slice(-2))) w = w.slice(0, -1);
      else if (endsShortSyllable(w) && r1 >= w.length) w += 'e';
    }
  }
  // step 1c
  if ((w.endsWith('y') || w.endsWith('Y')) && w.length > 2 && !v(w, w.length - 2)) w = w.slice(0, -1) + 'i';
  // step 2
  const s2 = longest(w, Object.keys(STEP2));
  if (s2 && inR1(s2.length)) {
    if (s2 === 'ogi') { if (w[w.length - 4] === 'l') w = w.slice(0, -3) + 'og'; }
    else if (s2 === 'li') { if (LI_ENDINGS.has(w[w.length - 3])) w = w.slice(0, -2); }
    else w = w.slice(0, -s2.length) + STEP2[s2];
  }
  // step 3
  const s3 = longest(w, Object.keys(STEP3));
  if (s3 && inR1(s3.length)) {
    if (s3 === 'ative') { if (inR2(5)) w = w.slice(0, -5); }
    else w = w.slice(0, -s3.length) + STEP3[s3];
  }
  // step 4
  const s4 = longest(w, STEP4);
  if (s4 && inR2(s4.length)) {
    if (s4 === 'ion') { const c = w[w.length - 4]; if (c === 's' || c === 't') w = w.slice(0, -3); }
    else w = w.slice(0, -s4.length);
  }
  // step 5
  if (w.endsWith('e')) {
    if (inR2(1) || (inR1(1) && !endsShortSyllable(w.slice(0, -1)))) w = w.slice(0, -1);
  } else if (w.endsWith('l')) {
    if (inR2(1) && w[w.length - 2] === 'l') w = w.slice(0, -1);
  }
  return w.replace(/Y/g, 'y');
}
