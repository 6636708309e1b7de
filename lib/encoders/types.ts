// The interface every encoder implements (the world's dual encoder, CLIP through transformers.js,
// CLAP for audio), so experiments never know which one they run on. Outputs are raw encoder
// embeddings (not L2-normalised), row-major [N, dim].

/** An RGB image, 8 bits per channel, row-major, 3 bytes per pixel. */
export interface RGBImage {
  width: number;
  height: number;
  data: Uint8Array; // length width*height*3
}

/** Mono audio at a sample rate. */
export interface AudioClip {
  sampleRate: number;
  samples: Float32Array;
}

export interface Encoder {
  /** Embedding dimension D. */
  readonly dim: number;
  /** A short description recorded in results (e.g. 'world-dual-encoder', 'clip:Xenova/clip-vit-base-patch32'). */
  readonly id: string;
  encodeText(captions: string[]): Promise<Float32Array>;
  encodeImage?(images: RGBImage[]): Promise<Float32Array>;
  encodeAudio?(clips: AudioClip[]): Promise<Float32Array>;
  dispose?(): void;
}
