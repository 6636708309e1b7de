// CLI defaults are the library's presets, each declared once: the noise variance of CapDec / C3,
// the DDIM steps per variant, the bridging start step M, the paper's Unet1D, the decoding and
// decoder-training defaults. A literal repeated in lib/ code (outside its declaration) fails here.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { loadCommand } from '../../lib/cli/main.ts';
import type { OptionSpec } from '../../lib/cli/args.ts';
import { DEFAULT_NOISE_VARIANCE, DEFAULT_DECAP_TEMPERATURE } from '../../lib/decoder/treatments.ts';
import { GENERATE_DEFAULTS, DECODER_TRAIN_DEFAULTS } from '../../lib/decoder/index.ts';
import { BRIDGE_M, DDIM_STEPS, VARIANT_PRESETS, SCALES } from '../../lib/diffusion/index.ts';
import { PAPER_UNET1D } from '../../lib/diffusion/denoisers/index.ts';
import { resolveConfig } from '../../lib/experiments/config.ts';

async function defaults(command: string): Promise<Record<string, OptionSpec['default']>> {
  const spec = await loadCommand(command);
  return Object.fromEntries(spec.options.map((o) => [o.name, o.default]));
}

test('CLI defaults equal the library presets', async () => {
  assert.equal((await defaults('gap'))['noise-variance'], DEFAULT_NOISE_VARIANCE);
  const td = await defaults('train-decoder');
  assert.equal(td['noise-variance'], DEFAULT_NOISE_VARIANCE);
  assert.deepEqual([td.epochs, td['batch-size'], td['weight-decay'], td['prefix-length']],
    [DECODER_TRAIN_DEFAULTS.epochs, DECODER_TRAIN_DEFAULTS.batchSize, DECODER_TRAIN_DEFAULTS.weightDecay, DECODER_TRAIN_DEFAULTS.prefixLength]);
  assert.equal((await defaults('bridge')).M, BRIDGE_M.coco);
  const cap = await defaults('caption');
  assert.deepEqual([cap.M, cap.method, cap['beam-size'], cap['max-tokens'], cap['stop-at-period'], cap['batch-size'], cap.temperature],
    [BRIDGE_M.coco, GENERATE_DEFAULTS.method, GENERATE_DEFAULTS.beamSize, GENERATE_DEFAULTS.maxTokens, GENERATE_DEFAULTS.stopAtPeriod, GENERATE_DEFAULTS.batchSize, DEFAULT_DECAP_TEMPERATURE]);
  const imp = await defaults('import-official');
  assert.deepEqual({ kind: 'unet1d', length: imp.length, dim: imp.dim, initDim: imp['init-dim'], dimMults: imp['dim-mults'], attnHeads: imp['attn-heads'], attnDimHead: imp['attn-dim-head'] }, PAPER_UNET1D);
  assert.equal((await defaults('info')).calls, DDIM_STEPS.official);
});

test('the library uses the presets: variants, scales, experiments', () => {
  for (const v of ['official', 'paper'] as const) {
    assert.equal(VARIANT_PRESETS[v].sampling.steps, DDIM_STEPS[v]);
    const cfg = resolveConfig({ dataset: 'coco', scale: 'paper', variant: v });
    assert.equal(cfg.bridge.steps, DDIM_STEPS[v]);
    assert.deepEqual(cfg.bridge.M, { ...BRIDGE_M });
    assert.equal(cfg.generate.maxTokens, GENERATE_DEFAULTS.maxTokens);
  }
  assert.deepEqual(SCALES.paper.denoiser(512), PAPER_UNET1D);
  assert.deepEqual([DDIM_STEPS.official, DDIM_STEPS.paper, BRIDGE_M.coco, BRIDGE_M.flickr30k, DEFAULT_NOISE_VARIANCE], [5, 12, 600, 400, 0.016]);
});

/** Code lines (comments and strings of help text aside) of lib/ that contain `literal`. */
function codeLinesWith(literal: RegExp): string[] {
  const hits: string[] = [];
  const walk = (dir: string) => {
    for (const f of readdirSync(dir)) {
      const p = join(dir, f);
      if (statSync(p).isDirectory()) { walk(p); continue; }
      if (!p.endsWith('.ts')) continue;
      readFileSync(p, 'utf8').split('\n').forEach((line, i) => {
        const code = line.replace(/\/\*.*?\*\//g, '').replace(/\/\/.*$/, '').replace(/^\s*\*.*$/, '').replace(/'[^']*'|`[^`]*`|"[^"]*"/g, "''");
        if (literal.test(code)) hits.push(`${p}:${i + 1}: ${line.trim()}`);
      });
    }
  };
  walk('lib');
  return hits;
}

test('each preset literal appears once in lib/ code', () => {
  const noise = codeLinesWith(/\b0\.016\b/);
  assert.equal(noise.length, 1, noise.join('\n'));
  assert.match(noise[0], /^lib\/decoder\/treatments\.ts:\d+: export const DEFAULT_NOISE_VARIANCE = 0\.016;$/);
  assert.equal(codeLinesWith(/initDim: 32\b/).length, 1, codeLinesWith(/initDim: 32\b/).join('\n'));
  assert.equal(codeLinesWith(/\? 5 : 12\b|steps: (5|12),/).length, 0, codeLinesWith(/\? 5 : 12\b|steps: (5|12),/).join('\n'));
});
