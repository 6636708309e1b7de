// dbridge check-data: present / partial / missing per dataset and model, with where to get what is missing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { cpSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { FIXTURES, tmpDir } from '../helpers.ts';
import { checkData, formatReport } from '../../lib/cli/commands/check-data.ts';
import { main } from '../../lib/cli/main.ts';

test('check-data reports present, partial and missing items with sources', async () => {
  const root = tmpDir();
  const data = join(root, 'data'), models = join(root, 'models');
  mkdirSync(join(data, 'coco'), { recursive: true });
  cpSync(join(FIXTURES, 'karpathy', 'dataset_coco.json'), join(data, 'coco', 'dataset_coco.json'));
  cpSync(join(FIXTURES, 'karpathy', 'coco_images'), join(data, 'coco', 'images'), { recursive: true });
  mkdirSync(join(data, 'flickr30k'), { recursive: true });
  cpSync(join(FIXTURES, 'karpathy', 'dataset_flickr30k.json'), join(data, 'flickr30k', 'dataset_flickr30k.json'));
  cpSync(join(FIXTURES, 'clip_tiny'), join(models, 'clip-vit-base-patch32'), { recursive: true });
  mkdirSync(join(models, 'gpt2'), { recursive: true });
  writeFileSync(join(models, 'gpt2', 'config.json'), '{}');
  mkdirSync(join(data, 'clotho'), { recursive: true });
  writeFileSync(join(data, 'clotho', 'clotho_captions_development.csv'), 'file_name,caption_1\na.wav,a dog\n');

  const items = checkData({ dataDir: data, modelsDir: models });
  const by = Object.fromEntries(items.map((i) => [i.name, i]));
  assert.equal(by.coco.status, 'present');
  assert.match(by.coco.details.join('\n'), /train 3 images \/ 16 captions, val 2 images \/ 10 captions, test 1 images \/ 5 captions/);
  assert.match(by.coco.details.join('\n'), /all 6 images present/);
  assert.equal(by.flickr30k.status, 'partial');
  assert.match(by.flickr30k.getFrom.join('\n'), /DenotationGraph/);
  // the tiny CLIP fixture has every file but is not ViT-B/32
  assert.equal(by.clip.status, 'partial');
  assert.match(by.clip.details.join('\n'), /not the paper's model: projection_dim is 16, ViT-B\/32 has 512/);
  assert.equal(by.gpt2.status, 'partial');
  assert.match(by.gpt2.details[0], /missing model\.safetensors, tokenizer\.json/);
  assert.equal(by.clap.status, 'missing');
  assert.match(by.clap.getFrom[0], /Xenova\/clap-htsat-unfused/);
  assert.equal(by.clotho.status, 'partial');
  assert.equal(by.audiocaps.status, 'missing');
  assert.match(by.audiocaps.getFrom[0], /cdjkim\/audiocaps/);
  assert.match(formatReport(items), /MSCOCO paper tables need coco, clip and gpt2/);

  // one image removed: partial, naming it; a corrupt Karpathy file is reported, not thrown
  rmSync(join(data, 'coco', 'images', 'val2014', 'COCO_val2014_000000000073.jpg'));
  const c2 = checkData({ dataDir: data, modelsDir: models, only: ['coco'] })[0];
  assert.equal(c2.status, 'partial');
  assert.match(c2.details.join('\n'), /1 of 6 images missing, e\.g\. val2014\/COCO_val2014_000000000073\.jpg/);
  writeFileSync(join(data, 'flickr30k', 'dataset_flickr30k.json'), '{"images": [');
  assert.match(checkData({ dataDir: data, modelsDir: models, only: ['flickr30k'] })[0].details[0], /unreadable: .*not valid JSON/);
  assert.throws(() => checkData({ dataDir: data, modelsDir: models, only: ['imagenet'] }), /unknown item 'imagenet'/);

  // a config that says ViT-B/32 passes
  const { readFileSync } = await import('node:fs');
  const cfgPath = join(models, 'clip-vit-base-patch32', 'config.json');
  const cfg = JSON.parse(readFileSync(cfgPath, 'utf8'));
  writeFileSync(cfgPath, JSON.stringify({ ...cfg, projection_dim: 512, vision_config: { ...cfg.vision_config, patch_size: 32 } }));
  assert.equal(checkData({ dataDir: data, modelsDir: models, only: ['clip'] })[0].status, 'present');
  await main(['check-data', '--data', data, '--models', models, '--only', 'clip', '--require', 'clip', '--quiet']);
  await assert.rejects(main(['check-data', '--data', data, '--models', models, '--only', 'clip', '--require', 'coco,gpt2', '--quiet']),
    /required but not present: coco, gpt2/);
});
