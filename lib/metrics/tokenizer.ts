// Caption tokenisation as pycocoevalcap does it: Stanford PTBTokenizer (CoreNLP 3.4.1, options
// `-preserveLines -lowerCase`, default PTB3 escaping) followed by pycocoevalcap's removal of the tokens
// '' ' `` ` -LRB- -RRB- -LCB- -RCB- . ? ! , : - -- ... ; .
//
// Follows: pycocoevalcap tokenizer/ptbtokenizer.py (salaniz/pycocoevalcap) and the rules and option
// defaults of edu/stanford/nlp/process/PTBLexer.flex of the CoreNLP 3.3-3.5 generation (JFlex 1.5:
// americanize and escapeForwardSlashAsterisk off, splitAssimilations on), re-implemented here as a small
// longest-match lexer (JFlex semantics: the longest match wins, ties go to the earlier rule; trailing
// context counts towards the length; %caseless applies to literal text but not to character classes).
// Consequences kept on purpose because they are what pycocoevalcap produces:
//   * the removal list is upper case but the tokens are already lower case, so -lrb- -rrb- -lcb- -rcb-
//     stay in the text ("(" and "[" and "<" all become -lrb-);
//   * "cannot" -> "can not", "gonna" -> "gon na"; "isn't" -> "is n't"; "dog's" -> "dog 's"; hyphenated
//     words, "black/white", "@name" and "#tag" stay whole;
//   * "!!!" and "?!" are single tokens and are not removed; abbreviations keep their period ("mr.", "etc.");
//   * spaces inside fraction/phone tokens become U+00A0 (so Python's split() later splits them, split(" ") not).
// Left out (documented in docs/metrics.md): the ACRONYM/SENTEND look-ahead variants (they change only
// whether an extra "." token follows, which is removed anyway), SGML/entity corner cases beyond the
// listed ones, and characters outside the Basic Multilingual Plane, which that Java lexer cannot match
// and deletes (we delete them too). The exact 3.4.1 rule file was not available: the rules come from the
// neighbouring CoreNLP versions and were checked on 30,247 captions tokenised by the real 3.4.1.

const PUNCTUATIONS = new Set(["''", "'", '``', '`', '-LRB-', '-RRB-', '-LCB-', '-RCB-', '.', '?', '!', ',', ':', '-', '--', '...', ';']);

/** Makes ASCII letters outside character classes match both cases (JFlex %caseless). */
function caseless(src: string): string {
  let out = '';
  let inClass = false;
  for (let i = 0; i < src.length; i++) {
    const c = src[i];
    if (c === '\\') {
      const n = src[i + 1];
      if ((n === 'p' || n === 'P') && src[i + 2] === '{') {
        const end = src.indexOf('}', i);
        out += src.slice(i, end + 1);
        i = end;
      } else if (n === 'u') {
        out += src.slice(i, i + 6);
        i += 5;
      } else {
        out += c + n;
        i++;
      }
      continue;
    }
    if (inClass) {
      if (c === ']') inClass = false;
      out += c;
      continue;
    }
    if (c === '[') { inClass = true; out += c; continue; }
    if (/[A-Za-z]/.test(c)) out += `[${c.toLowerCase()}${c.toUpperCase()}]`;
    else out += c;
  }
  return out;
}

// ---- macros (PTBLexer.flex) ----
const SPLET = '&[aeiouAEIOU](?:acute|grave|uml);';
const LETTER = '\\p{L}';
const DIGIT = '(?:\\p{Nd}|[\\u07C0-\\u07C9])';
const WORDX = '[\\u00AD\\u0237-\\u024F\\u02C2-\\u02C5\\u02D2-\\u02DF\\u02E5-\\u02FF\\u0300-\\u036F\\u0370-\\u037D\\u0384\\u0385\\u03CF\\u03F6\\u03FC-\\u03FF\\u0483-\\u0487\\u04CF\\u04F6-\\u04FF\\u0510-\\u0525\\u055A-\\u055F\\u0591-\\u05BD\\u05BF\\u05C1\\u05C2\\u05C4\\u05C5\\u05C7\\u0615-\\u061A\\u063B-\\u063F\\u064B-\\u065E\\u0670\\u06D6-\\u06EF\\u06FA-\\u06FF\\u070F\\u0711\\u0730-\\u074F\\u0750-\\u077F\\u07A6-\\u07B1\\u07CA-\\u07F5\\u07FA\\u0900-\\u0903\\u093C\\u093E-\\u094E\\u0951-\\u0955\\u0962-\\u0963\\u0981-\\u0983\\u09BC-\\u09C4\\u09C7\\u09C8\\u09CB-\\u09CD\\u09D7\\u09E2\\u09E3\\u0A01-\\u0A03\\u0A3C\\u0A3E-\\u0A4F\\u0A81-\\u0A83\\u0ABC-\\u0ACF\\u0B82\\u0BBE-\\u0BC2\\u0BC6-\\u0BC8\\u0BCA-\\u0BCD\\u0C01-\\u0C03\\u0C3E-\\u0C56\\u0D3E-\\u0D44\\u0D46-\\u0D48\\u0E30-\\u0E3A\\u0E47-\\u0E4E\\u0EB1-\\u0EBC\\u0EC8-\\u0ECD]';
const WORD = `(?:${LETTER}|${SPLET}|${WORDX})+`;
const APOS = "(?:['\\u0092\\u2019]|&apos;)";
const APOSETC = `(?:${APOS}|[\\u0091\\u2018\\u201B])`;
const LD = `(?:${LETTER}|${DIGIT})`;
const HYPHEN = '[-_\\u058A\\u2010\\u2011]';
const THING = `(?:[dDoOlL]${APOSETC}${LD})?${LD}+(?:${HYPHEN}(?:[dDoOlL]${APOSETC}${LD})?${LD}+)*`;
const SPAMP = '&amp;';
const THINGA = `[A-Z]+(?:(?:[+&]|${SPAMP})[A-Z]+)+`;
const THING3 = '[A-Za-z0-9]+(?:-[A-Za-z]+){0,2}(?:\\\\?\\/[A-Za-z0-9]+(?:-[A-Za-z]+){0,2}){1,2}';
const ACRO = '(?:[A-Za-z](?:\\.[A-Za-z])+|(?:Canada|Sino|Korean|EU|Japan|non)-U\\.S|U\\.S\\.-(?:U\\.K|U\\.S\\.S\\.R))';
const HTHING = `[A-Za-z0-9][A-Za-z0-9.,\\u00AD]*(?:-(?:[A-Za-z0-9\\u00AD]+|${ACRO}\\.))+`;
const REDAUX = `${APOS}(?:re|ve|ll|[msdMSD])`;
const SWORD = '[A-Za-z\\u00AD]*[A-MO-Za-mo-z]\\u00AD*';
const SREDAUX = `n${APOSETC}t`;
const APOWORD = `(?:${APOS}n${APOS}?|[lLdDjJ]${APOS}|Dunkin${APOS}|somethin${APOS}|ol${APOS}|${APOS}em|[A-HJ-XZn]${APOSETC}${LETTER}{2}${LETTER}*|${APOS}[2-9]0s|${APOS}till?|${LETTER}${LETTER}*[aeiouyAEIOUY]${APOSETC}[aeiouA-Z]${LETTER}*|${APOS}cause|cont'd\\.?|'twas|nor'easter|c'mon|e'er|s'mores|ev'ry|li'l|nat'l)`;
const FULLURL = 'https?:\\/\\/[^ \\t\\n\\f\\r"<>|()]+[^ \\t\\n\\f\\r"<>|.!?(){},-]';
const LIKELYURL = '(?:(?:www\\.(?:[^ \\t\\n\\f\\r"<>|.!?(){},]+\\.)+[a-zA-Z]{2,4})|(?:(?:[^ \\t\\n\\f\\r"`\'<>|.!?(){},\\-_$]+\\.)+(?:com|net|org|edu)))(?:\\/[^ \\t\\n\\f\\r"<>|()]+[^ \\t\\n\\f\\r"<>|.!?(){},-])?';
const EMAIL = '[a-zA-Z0-9][^ \\t\\n\\f\\r"<>|()\\u00A0]*@(?:[^ \\t\\n\\f\\r"<>|().\\u00A0]+\\.)*[^ \\t\\n\\f\\r"<>|().\\u00A0]+';
const TWITTER = `@[a-zA-Z_][a-zA-Z_0-9]*|#${'(?:\\p{L}|&[aeiouAEIOU](?:acute|grave|uml);|[\\u00AD\\u0237-\\u024F\\u0300-\\u036F])+'}`;
const NUM = `(?:${DIGIT}*(?:[.:,\\u00AD\\u066B\\u066C]${DIGIT}+)+|${DIGIT}+)`;
const NUMBER = `[\\-+]?${NUM}`;
const DATE = `${DIGIT}{1,2}[\\-\\/]${DIGIT}{1,2}[\\-\\/]${DIGIT}{2,4}`;
const SUBSUPNUM = '[\\u207A\\u207B\\u208A\\u208B]?(?:[\\u2070\\u00B9\\u00B2\\u00B3\\u2074-\\u2079]+|[\\u2080-\\u2089]+)';
const FRAC = `(?:${DIGIT}{1,4}[- \\u00A0])?${DIGIT}{1,4}(?:\\\\?\\/|\\u2044)${DIGIT}{1,4}`;
const FRAC2 = '[\\u00BC\\u00BD\\u00BE\\u2153-\\u215E]';
const ABMONTH = 'Sept|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Oct|Nov|Dec';
const ABDAYS = 'Tues|Thurs|Mon|Tue|Wed|Thu|Fri';
const ABSTATE = 'Ala|Ariz|[A]rk|Calif|Colo|Conn|Dak|Del|Fla|Ga|[I]ll|Ind|Kans?|Ky|La|[M]ass|Md|Mich|Minn|[M]iss|Mo|Mont|Neb|Nev|Okla|[O]re|Pa|Penn|Tenn|Tex|Va|Vt|[W]ash|Wisc?|Wyo';
const ABTITLE = 'Mr|Mrs|Ms|[M]iss|Drs?|Profs?|Sens?|Reps?|Attys?|Lt|Col|Gen|Messrs|Govs?|Adm|Rev|Maj|Sgt|Cpl|Pvt|Mt|Capt|Ste?|Ave|Pres|Lieut|Hon|Brig|Co?mdr|Pfc|Spc|Supts?|Det';
const ABPTIT = 'Jr|Sr|Bros|(?:Ed|Ph)\\.D|Blvd|Rd|Esq';
const ABCOMP = 'Inc|Cos?|Corp|Pp?tys?|Ltd|Plc|Bancorp|Dept|Bhd|Assn|Univ|Intl|Sys';
const ABCOMP2 = 'Invt|Elec|Natl|M[ft]g';
const ABNUM = 'Nos?|Prop|Ph|tel|est|ext|sq|ft';
const ABBREV1 = `(?:${ABMONTH}|${ABDAYS}|${ABSTATE}|${ABCOMP}|${ABNUM}|${ABPTIT}|etc|al|seq)\\.`;
// ACRO first: a JS alternation takes the first alternative that succeeds, JFlex the longest match.
const ABBREV4 = `(?:${ACRO}|a\\.k\\.a|${ABTITLE}|vs|Alex|Wm|Jos|Cie|cf|TREAS|${ABCOMP2}|[A-Za-z])`;
const PHONE = '(?:\\([0-9]{2,3}\\)[ \\u00A0]?|(?:\\+\\+?)?(?:[0-9]{2,4}[\\- \\u00A0])?[0-9]{2,4}[\\- \\u00A0])[0-9]{3,4}[\\- \\u00A0]?[0-9]{3,5}|(?:(?:\\+\\+?)?[0-9]{2,4}\\.)?[0-9]{2,4}\\.[0-9]{3,4}\\.[0-9]{3,5}';
const SPACE = '[ \\t\\u00A0\\u2000-\\u200A\\u3000]';
const SPACENL = `(?:${SPACE}|\\r|\\n|\\u2028|\\u2029|\\u000B|\\u000C|\\u0085)`;
const LDOTS = '(?:\\.{3,5}|(?:\\.[ \\u00A0]){2,4}\\.|[\\u0085\\u2026])';
const QUOTES = `(?:${APOS}|''|[\`\\u2018\\u2019\\u201A\\u201B\\u201C\\u201D\\u0091\\u0092\\u0093\\u0094\\u201E\\u201F\\u2039\\u203A\\u00AB\\u00BB]{1,2})`;
const TBSPEC = `(?:-(?:RRB|LRB|RCB|LCB|RSB|LSB)-|C\\.D\\.s|pro-|anti-|S(?:&|&amp;)P-500|S(?:&|&amp;)Ls|Cap${APOS}n|c${APOS}est)`;
// U+2200-U+2BFF: mathematical and other symbol ranges; + % & ~ ^ | \\ stand alone too
const MISCSYMBOL = '[+%&~\\^|\\\\¦\\u00A7¨\\u00A9\\u00AC\\u00AE¯\\u00B0-\\u00B3\\u00B4-\\u00BA\\u00D7\\u00F7\\u0387\\u05BE\\u05C0\\u05C3\\u05C6\\u05F3\\u05F4\\u0600-\\u0603\\u0606-\\u060A\\u060C\\u0614\\u061B\\u061E\\u066A\\u066D\\u0703-\\u070D\\u07F6\\u07F7\\u07F8\\u0964\\u0965\\u0E4F\\u1FBD\\u2016\\u2017\\u2020-\\u2023\\u2030-\\u2038\\u203B\\u203E-\\u2042\\u2044\\u207A-\\u207F\\u208A-\\u208E\\u2100-\\u214F\\u2190-\\u21FF\\u2200-\\u2BFF\\u3012\\u30FB\\uFF01-\\uFF0F\\uFF1A-\\uFF20\\uFF3B-\\uFF40\\uFF5B-\\uFF65]';

// ---- token transforms ----
const removeSoftHyphens = (s: string) => s.replace(/\u00AD/g, '') || '-';
function latexQuotes(s: string, probablyLeft: boolean): string {
  let r = probablyLeft ? s.replace(/&apos;|'/g, '`').replace(/"|&quot;/g, '``') : s.replace(/&apos;|'/g, "'").replace(/"|&quot;/g, "''");
  r = r.replace(/[\u0091\u2018\u201B\u2039]/g, '`').replace(/[\u0092\u2019\u203A]/g, "'");
  r = r.replace(/[\u0093\u201C\u00AB]/g, '``').replace(/[\u0094\u201D\u00BB]/g, "''");
  return r;
}
function normalizeCurrency(s: string): string {
  return s.replace(/\u00A2/g, 'cents').replace(/\u00A3/g, '#').replace(/[\u0080\u00A4\u20A0\u20AC]/g, '$');
}
// (that generation maps only these four; its 2/3 line repeats U+2153, so U+2154 stays as it is)
function normalizeFractions(s: string): string {
  return s.replace(/\u00BC/g, '1/4').replace(/\u00BD/g, '1/2').replace(/\u00BE/g, '3/4').replace(/\u2153/g, '1/3');
}
const normalizeAmp = (s: string) => s.replace(/&amp;/gi, '&');

/** A lexer rule: `head` (+ optional trailing context) and what it emits (null: nothing). */
interface Rule { re: RegExp; trail: boolean; emit: (text: string) => string | null; headLen?: (text: string) => number }

const id = (s: string) => s;
function rule(head: string, emit: (t: string) => string | null = id, trail?: string, headLen?: (t: string) => number): Rule {
  const src = trail !== undefined ? `(${caseless(head)})(?:${caseless(trail)})` : caseless(head);
  return { re: new RegExp(src, 'uy'), trail: trail !== undefined, emit, headLen };
}

// In the order of PTBLexer.flex (the order breaks ties between equally long matches).
const RULES: Rule[] = [
  rule('cannot', id, undefined, () => 3),
  // splitAssimilations: gonna -> gon na, gotta -> got ta, lemme -> lem me, gimme -> gim me, wanna -> wan na
  rule('gonna|gotta|lemme|gimme|wanna', id, undefined, (t) => t.length - 2),
  rule('<\\/?[A-Za-z!?][^>\\r\\n]*>', (t) => t.replace(/ /g, '\u00A0')),
  rule('&(?:MD|mdash|ndash);|[\\u0096\\u0097\\u2013\\u2014\\u2015]', () => '--'),
  rule(SPAMP, normalizeAmp),
  rule('&(?:HT|TL|UR|LR|QC|QL|QR|odq|cdq|#[0-9]+);'),
  rule(WORD, removeSoftHyphens, REDAUX),
  rule(SWORD, removeSoftHyphens, SREDAUX),
  rule(WORD, removeSoftHyphens),
  rule(APOWORD),
  rule('y' + APOS, id, LETTER),
  rule(FULLURL),
  rule(LIKELYURL),
  rule(EMAIL),
  rule(TWITTER),
  rule(REDAUX, (t) => latexQuotes(t, false), '[^A-Za-z]'),
  rule(SREDAUX, (t) => latexQuotes(t, false)),
  rule(DATE),
  rule(NUMBER, removeSoftHyphens),
  rule(SUBSUPNUM),
  rule(FRAC, (t) => t.replace(/ /g, '\u00A0')),
  rule(FRAC2, normalizeFractions),
  rule(TBSPEC, normalizeAmp),
  rule(THING3),
  rule('(?:[A-Z]*\\$|#)'),
  rule('[\\u00A2\\u00A3\\u00A4\\u00A5\\u0080\\u20A0\\u20AC\\u060B\\u0E3F\\u20A4\\uFFE0\\uFFE1\\uFFE5\\uFFE6]', normalizeCurrency),
  rule(ABBREV1),
  rule(`${ABBREV4}\\.`),
  rule(ABBREV4, id, SPACE),
  rule(ACRO, id, SPACENL),
  rule(`${APOS}[0-9][0-9]`, id, SPACENL),
  rule(`${WORD}\\.`, removeSoftHyphens, '[,;:\\u3001]'),
  rule(PHONE, (t) => t.replace(/ /g, '\u00A0').replace(/\(/g, '-LRB-').replace(/\)/g, '-RRB-')),
  rule('"|&quot;', (t) => latexQuotes(t, true), '[A-Za-z0-9$]'),
  rule('"|&quot;', (t) => latexQuotes(t, false)),
  rule('0x7f', () => null),
  rule('[<\\[]|&lt;', () => '-LRB-'),
  rule('[>\\]]|&gt;', () => '-RRB-'),
  rule('\\{', () => '-LCB-'),
  rule('\\}', () => '-RCB-'),
  rule('\\(', () => '-LRB-'),
  rule('\\)', () => '-RRB-'),
  rule('-+', (t) => (t.length >= 3 && t.length <= 4 ? '--' : t)),
  rule(LDOTS, () => '...'),
  rule('@+|#+|_+'),
  rule('\\*+|(?:\\\\\\*){1,3}'),
  rule('[,;:\\u3001]'),
  rule('[?!]+'),
  rule('[.¡¿\\u037E\\u0589\\u061F\\u06D4\\u0700-\\u0702\\u07FA\\u3002]'),
  rule('='),
  rule('\\/'),
  rule(`${HTHING}\\.`, removeSoftHyphens, '[,;:\\u3001]'),
  rule(HTHING, removeSoftHyphens),
  rule(`${THING}\\.`, id, '[,;:\\u3001]'),
  rule(THING),
  rule(`${THINGA}\\.`, normalizeAmp, '[,;:\\u3001]'),
  rule(THINGA, normalizeAmp),
  rule("'", (t) => latexQuotes(t, true), '[A-Za-z][^ \\t\\n\\r\\u00A0]'),
  rule(REDAUX, (t) => latexQuotes(t, false)),
  rule(QUOTES, (t) => latexQuotes(t, false)),
  rule('<<|>>'),
  rule(MISCSYMBOL),
  rule('\\0|[ \\t\\u00A0\\u2000-\\u200A\\u3000]+|[\\u200B\\u200E\\u200F\\uFEFF]', () => null),
  rule('\\r|\\n|\\u2028|\\u2029|\\u000B|\\u000C|\\u0085', () => null),
  rule('&nbsp;', () => null),
];

const ASSIMILATIONS = new Set(['cannot', 'gonna', 'gotta', 'lemme', 'gimme', 'wanna']);
const ABBREV_DOT = new RegExp(`^(?:${caseless(ABBREV1)}|${caseless(ABBREV4)}\\.)$`, 'u');

// SPACE and NEWLINE characters of the lexer (the only ones the whitespace rules consume)
function isWs(c: number): boolean {
  return c === 32 || c === 9 || c === 10 || c === 13 || c === 0xa0 || (c >= 0x2000 && c <= 0x200a) || c === 0x3000;
}
const isAsciiLetter = (c: number) => (c >= 97 && c <= 122) || (c >= 65 && c <= 90);
// . , ; : ? !
const isSimplePunct = (c: number) => c === 46 || c === 44 || c === 59 || c === 58 || c === 63 || c === 33;

/**
 * PTB tokens of one line of text (before lower-casing and punctuation removal). Characters no rule
 * matches are deleted, as the Java tokenizer does by default.
 */
export function ptbLex(text: string): string[] {
  // The Java lexer works on UTF-16 code units of the BMP only: astral characters match no rule.
  const s = (/[\uD800-\uDFFF]/.test(text) ? text.replace(/[\uD800-\uDBFF][\uDC00-\uDFFF]|[\uD800-\uDFFF]/g, '') : text) + '\n';
  const out: string[] = [];
  let pos = 0;
  const n = s.length - 1;
  while (pos < n) {
    // Fast paths (same result as the full rule set, checked on the reference captions): a
    // whitespace-delimited run of ASCII letters, possibly followed by one of .,;:?! (unless it could
    // be an abbreviation such as "mr." or "a."), and lone ,;:.?! before whitespace.
    const c = s.charCodeAt(pos);
    if (isWs(c)) { pos++; continue; } // no rule but the whitespace one starts with a space
    if (isAsciiLetter(c) && (pos === 0 || isWs(s.charCodeAt(pos - 1)))) {
      let end = pos + 1;
      while (isAsciiLetter(s.charCodeAt(end))) end++;
      const next = s.charCodeAt(end);
      if (isWs(next) || (isSimplePunct(next) && isWs(s.charCodeAt(end + 1)))) {
        const word = s.slice(pos, end);
        const special = ((end - pos === 6 || end - pos === 5) && ASSIMILATIONS.has(word.toLowerCase())) || (next === 46 && ABBREV_DOT.test(word + '.'));
        if (!special) {
          out.push(word);
          pos = end;
          continue;
        }
      }
    }
    if (isSimplePunct(c) && isWs(s.charCodeAt(pos + 1)) && !(c === 46 && s.charCodeAt(pos + 2) === 46)) {
      out.push(s[pos]);
      pos++;
      continue;
    }
    let bestLen = 0;
    let best: Rule | null = null;
    let bestHead = '';
    for (const r of RULES) {
      r.re.lastIndex = pos;
      const m = r.re.exec(s);
      if (!m) continue;
      const len = m[0].length;
      if (len > bestLen) {
        bestLen = len;
        best = r;
        bestHead = r.trail ? m[1] : m[0];
      }
    }
    if (!best || bestLen === 0) { pos++; continue; } // untokenizable: deleted
    if (best.headLen) bestHead = bestHead.slice(0, best.headLen(bestHead));
    const tok = best.emit(bestHead);
    if (tok !== null && tok.length > 0) out.push(tok);
    pos += bestHead.length;
  }
  return out;
}

/**
 * One caption as pycocoevalcap's PTBTokenizer returns it: PTB tokens, lower-cased, its punctuation
 * list removed, joined by single spaces. Newlines inside the caption count as spaces (pycocoevalcap
 * replaces '\n'; other line breaks would shift its line alignment, which we do not reproduce).
 */
export function tokenizeCaption(caption: string): string {
  const toks = ptbLex(HAS_NL.test(caption) ? caption.replace(ALL_NL, ' ') : caption);
  const kept: string[] = [];
  for (const t of toks) {
    // The removal list is compared with the lower-cased token, so only its entries that are already
    // lower case ('' ' `` ` . ? ! , : - -- ... ;) can match.
    const low = t.toLowerCase();
    if (!PUNCTUATIONS.has(low)) kept.push(low);
  }
  return kept.join(' ');
}

const HAS_NL = /[\n\r\u2028\u2029\u000B\u000C\u0085]/;
const ALL_NL = /[\n\r\u2028\u2029\u000B\u000C\u0085]/g;

/** Tokenises every caption of a reference/candidate map (same keys, same order). */
export function tokenizeAll<K>(captions: Map<K, string[]>): Map<K, string[]> {
  const out = new Map<K, string[]>();
  for (const [k, caps] of captions) out.set(k, caps.map(tokenizeCaption));
  return out;
}
