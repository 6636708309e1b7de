// The list of dbridge commands. Each lives in lib/cli/commands/<file>.ts and default-exports a
// CommandSpec; modules are imported lazily so `dbridge --help` and light commands start fast.

export const COMMANDS: Record<string, { file: string; summary: string }> = {
  world: { file: 'world', summary: 'generate the built-in image-caption world (Karpathy JSON + PNG)' },
  'sound-world': { file: 'sound-world', summary: 'generate the built-in sound world (WAV + AudioCaps CSV + Karpathy JSON)' },
  'train-encoder': { file: 'train-encoder', summary: "train the world's (or the sound world's) small contrastive dual encoder" },
  embed: { file: 'embed', summary: 'embed a dataset with an encoder (world encoder or CLIP) into .npy files' },
  gap: { file: 'gap', summary: 'modality-gap statistics of embedded data (JSON)' },
  'train-diffusion': { file: 'train-diffusion', summary: 'train the diffusion model on text embeddings' },
  'import-official': { file: 'import-official', summary: 'turn an official Unet1D state dict into a dbridge checkpoint' },
  bridge: { file: 'bridge', summary: 'bridge embeddings through the diffusion model (DDIM from step M)' },
  'train-decoder': { file: 'train-decoder', summary: 'train a caption decoder on text embeddings only' },
  caption: { file: 'caption', summary: 'write captions for embeddings (COCO results JSON)' },
  lm: { file: 'lm', summary: "print or save a language model's logits for given ids" },
  score: { file: 'score', summary: 'score candidate captions with pycocoevalcap semantics' },
  reproduce: { file: 'reproduce', summary: "reproduce every table of the paper" },
  bench: { file: 'bench', summary: 'run the speed benchmarks and write results/bench/*.json' },
  info: { file: 'info', summary: 'parameter counts and FLOPs of a denoiser config or checkpoint' },
  'check-data': { file: 'check-data', summary: 'say which real datasets and models are present and where to get the rest' },
};
