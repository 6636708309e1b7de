// Small numeric and string helpers that reproduce Python/numpy behaviour the metrics depend on:
// str.split() (any run of Python whitespace), str.split(' ') (single spaces, empty pieces kept), and
// np.mean's pairwise summation (numpy's pairwise_sum: blocks of 128, 8 accumulators), so that corpus
// means agree with pycocoevalcap's to the last bits, not just to 1e-12.

// Characters for which Python's str.isspace() is true (str.split() with no argument splits on runs).
const PY_WS = /[\t\n\x0b\x0c\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+/;

const OTHER_WS = /[\t\n\x0b\x0c\r\x1c-\x1f\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]/;

/** Python `s.split()`. */
export function pySplit(s: string): string[] {
  if (!OTHER_WS.test(s) && s.indexOf('  ') < 0) {
    // common case: single ASCII spaces only
    const parts = s.split(' ');
    if (parts.length && parts[0] === '') parts.shift();
    if (parts.length && parts[parts.length - 1] === '') parts.pop();
    return parts;
  }
  const parts = s.split(PY_WS);
  if (parts.length && parts[0] === '') parts.shift();
  if (parts.length && parts[parts.length - 1] === '') parts.pop();
  return parts;
}

/** True when `s.split(' ')` and Python's `s.split()` give the same words (single ASCII spaces only). */
export function isSimplySpaced(s: string): boolean {
  return s.length > 0 && s.charCodeAt(0) !== 32 && s.charCodeAt(s.length - 1) !== 32 && s.indexOf('  ') < 0 && !OTHER_WS.test(s);
}

/** Python `s.split(' ')` (keeps empty strings between double spaces; '' -> ['']). */
export function pySplitSpace(s: string): string[] {
  return s.split(' ');
}

function pairwiseSum(a: ArrayLike<number>, start: number, n: number): number {
  if (n < 8) {
    let res = 0;
    for (let i = 0; i < n; i++) res += a[start + i];
    return res;
  }
  if (n <= 128) {
    const r = [a[start], a[start + 1], a[start + 2], a[start + 3], a[start + 4], a[start + 5], a[start + 6], a[start + 7]];
    let i = 8;
    for (; i < n - (n % 8); i += 8) for (let j = 0; j < 8; j++) r[j] += a[start + i + j];
    let res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
    for (; i < n; i++) res += a[start + i];
    return res;
  }
  let n2 = Math.floor(n / 2);
  n2 -= n2 % 8;
  return pairwiseSum(a, start, n2) + pairwiseSum(a, start + n2, n - n2);
}

/** numpy `np.mean` of a 1-D float64 array (NaN for an empty one, as numpy). */
export function npMean(a: ArrayLike<number>): number {
  if (a.length === 0) return NaN;
  return pairwiseSum(a, 0, a.length) / a.length;
}
