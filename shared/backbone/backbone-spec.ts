/** Which code runs a backbone's forward. */
export type BackboneEngine = 'int8-simd' | 'float32-tfjs';

/** What a head, a preprocessor and a benchmark need to know about a backbone, as plain JSON-able data. */
export interface BackboneSpec {
  name: string;
  inputHeight: number;
  inputWidth: number;
  inputChannels: number;
  /**
   * real input value = (pixel - pixelZeroPoint) * pixelScale for pixel in 0..255, read from the input tensor's
   * quantization. A uint8 input uses its scale and zero point as they are; an int8 input sees pixel - 128, so
   * its zero point is shifted by 128. A float32 input has no quantization to read: the importer takes the
   * quantization of the QUANTIZE op that consumes it when there is one, else assumes the usual MobileNet
   * range [-1, 1] (scale 1/127.5, zero point 127.5).
   */
  pixelScale: number;
  pixelZeroPoint: number;
  embeddingSize: number;
  /** number of outputs of the original classifier (e.g. 1001), or null if none */
  classifierClasses: number | null;
  /** multiply-accumulates of the embedding part for one image (for GFLOP/s reporting: 2 FLOPs per MAC) */
  multiplyAdds: number;
}

export interface BackboneModel {
  spec: BackboneSpec;
  /** which code runs the forward: "int8-simd" (integer kernels, quantised backbones) or "float32-tfjs" */
  engine: BackboneEngine;
  /** pixels: normalized real values, NHWC float32 [batch, inputHeight, inputWidth, 3]; returns [batch, embeddingSize] */
  embed(pixels: Float32Array, batch: number): Float32Array;
  /** softmax probabilities of the original classifier, [batch, classifierClasses]; throws if the file had none */
  classify(pixels: Float32Array, batch: number): Float32Array;
  dispose(): void;
  /** bytes of memory the model holds outside the tfjs backend's heap (the int8 engine's linear memory) */
  memoryBytes?(): number;
}
