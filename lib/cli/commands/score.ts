// `dbridge score`: scores candidate captions against references with pycocoevalcap semantics and
// prints the corpus scores as JSON (pycocoevalcap's keys, fractions). See docs/metrics.md.
import { defineCommand } from '../args.ts';
import { checkOutputFile, requireFile, writeJsonAtomic } from '../../util/fs.ts';
import { loadCandidates, loadReferences, parseMetricList, scoreCaptions, METRIC_NAMES } from '../../metrics/index.ts';

const spec = defineCommand({
  name: 'score',
  summary: 'score candidate captions with pycocoevalcap semantics',
  usage: '--references REFS.json --candidates CANDS.json [--tokenized] [--per-image OUT.json] [--metrics bleu,cider,...]',
  description: [
    'REFS: COCO annotations ({"images", "annotations": [{"image_id", "caption"}]}), a Karpathy split JSON',
    '(ids: cocoid, else imgid) or {"<id>": [captions]}. CANDS: COCO results [{"image_id", "caption"}].',
    'Only the candidates\' images are scored. Prints {"Bleu_1".."Bleu_4", "METEOR" | "METEOR_approx",',
    '"ROUGE_L", "CIDEr", "SPICE"} (fractions, as pycocoevalcap); a metric that cannot be computed is',
    'null, with the reason under "unavailable". METEOR needs meteor-1.5.jar (else METEOR_approx:',
    'exact + stem + WordNet synonyms, no paraphrases); SPICE needs spice-1.0.jar.',
  ].join('\n'),
  options: [
    { name: 'references', type: 'string', required: true, help: 'reference captions JSON (COCO annotations, Karpathy split, or {id: [captions]})' },
    { name: 'candidates', type: 'string', required: true, help: 'candidate captions JSON (COCO results list)' },
    { name: 'tokenized', type: 'boolean', default: false, help: 'captions are already tokenised (space-separated): skip PTB tokenisation' },
    { name: 'per-image', type: 'string', help: 'also write per-image scores (and the tokenised text) to this JSON file' },
    { name: 'metrics', type: 'list', default: METRIC_NAMES, help: `metrics to compute (${METRIC_NAMES.join(', ')})` },
    { name: 'meteor-jar', type: 'string', help: 'path to meteor-1.5.jar (default: env DBRIDGE_METEOR_JAR); without it METEOR_approx is reported' },
    { name: 'spice-jar', type: 'string', help: 'path to spice-1.0.jar (default: env DBRIDGE_SPICE_JAR); without it SPICE is null' },
    { name: 'java', type: 'string', default: 'java', help: 'Java executable used for the jars' },
  ],
  check(args) {
    requireFile(args.references, '--references');
    requireFile(args.candidates, '--candidates');
    if (args.perImage !== undefined) checkOutputFile(args.perImage, { what: '--per-image', inputs: { '--references': args.references, '--candidates': args.candidates } });
  },
  async run(args) {
    const metrics = parseMetricList(args.metrics);
    const refs = loadReferences(args.references);
    const cands = loadCandidates(args.candidates);
    const res = await scoreCaptions(refs, cands, {
      tokenized: Boolean(args.tokenized),
      metrics,
      meteorJar: args.meteorJar,
      spiceJar: args.spiceJar,
      java: args.java,
    });
    const out: Record<string, unknown> = { ...res.corpus };
    if (Object.keys(res.unavailable).length) out.unavailable = res.unavailable;
    if (args.perImage) {
      writeJsonAtomic(args.perImage, {
        corpus: res.corpus,
        unavailable: res.unavailable,
        num_images: res.numImages,
        unscored_reference_images: res.unscoredReferenceImages,
        per_image: res.perImage.map((p, i) => ({ image_id: p.image_id, ...p.scores, tokenized: { candidate: res.tokenized.cands[i], references: res.tokenized.refs[i] } })),
      });
    }
    console.log(JSON.stringify(out, null, 2));
  },
});
export default spec;
