// The calibration report and its Markdown table (docs/world.md quotes the bench's table).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CALIBRATION_TARGETS, calibrationMarkdown, calibrationReport, formatCalibrationTarget } from '../../lib/world/calibration.ts';
import { REPO_ROOT } from '../../lib/util/provenance.ts';

describe('world calibration', () => {
  it('marks each target met, not met or not measured, per domain for the reference rows', () => {
    const ref = (cider: number) => ({
      randomCaption: { corpus: { CIDEr: cider / 100 } }, frequentCaption: { corpus: { CIDEr: 0.04, Bleu_4: 0.05 } },
      verbatim: { fraction: 0.01 }, sixthAnnotator: { corpus: { CIDEr: 0.95 } },
    });
    const rows = calibrationReport({ references: { a: ref(5), b: ref(9) } as never });
    const byId = Object.fromEntries(rows.map((r) => [r.id, r]));
    assert.deepEqual(byId['randomCaption.CIDEr'].world, { a: 5, b: 9 });
    assert.equal(byId['randomCaption.CIDEr'].met, false, 'one domain over the bound fails the target');
    assert.equal(byId['sixthAnnotator.CIDEr'].met, true);
    assert.equal(byId.a.met, null, 'no geometry given: not measured');
    const md = calibrationMarkdown(rows, 'note');
    assert.match(md, /^note\n/);
    assert.match(md, /\| random train caption, CIDEr \(test\) \| ~5 \| .* \| a 5\.00, b 9\.00 \| <= 8 \| \*\*not met\*\* \|/);
    assert.match(md, /\| paired image-text cosine after preprocessing .* \| not measured \| 0\.256-0\.356 \| not measured \|/);
    assert.match(md, /4 of 5 measured targets met\./);
    assert.equal(formatCalibrationTarget(CALIBRATION_TARGETS.find((t) => t.id === 'e')!), 'within ±0.05');
  });


  it('docs/world.md quotes the calibration table the bench wrote', () => {
    const md = join(REPO_ROOT, 'results', 'bench', 'world-calibration.md');
    assert.ok(existsSync(md), `${md} is missing: run npm run bench -- --only world`);
    const quoted = readFileSync(md, 'utf8').split('\n').filter((l) => !l.startsWith('<!--')).join('\n').trim();
    assert.match(quoted, /\| statistic \| MSCOCO \/ CLIP \|/);
    assert.ok(readFileSync(join(REPO_ROOT, 'docs', 'world.md'), 'utf8').includes(quoted), 'docs/world.md does not quote results/bench/world-calibration.md (paste its table between the calibration markers)');
  });
});
