/**
 * A LayersModel as the files `tf.loadLayersModel` reads: model.json (topology, weights manifest, metadata) and
 * the weights in shards, the layout `tensorflowjs_converter` writes (`group1-shardNofM.bin`, 4 MiB each), so the
 * files can be served by any static host and loaded in a browser, or read from disk in Node.
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';

export interface ModelFile {
  /** relative path in the output folder */
  path: string;
  bytes: Uint8Array;
}

export const MODEL_JSON = 'model.json';
const SHARD_BYTES = 4 * 1024 * 1024;

/**
 * Serialises the model with its weights (float32, unquantised) and `metadata` (stored as the model's
 * `userDefinedMetadata`, which `model.getUserDefinedMetadata()` returns after loading).
 * @returns model.json first, then the shards in order
 */
export async function layersModelFiles(model: tfl.LayersModel, metadata: Record<string, unknown>, shardBytes = SHARD_BYTES): Promise<ModelFile[]> {
  model.setUserDefinedMetadata(metadata);
  let files: ModelFile[] = [];
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      const weights = new Uint8Array(tf.io.CompositeArrayBuffer.join(artifacts.weightData));
      const count = Math.max(1, Math.ceil(weights.length / shardBytes));
      const shards = Array.from({ length: count }, (_, i) => ({
        path: `group1-shard${i + 1}of${count}.bin`,
        bytes: weights.subarray(i * shardBytes, (i + 1) * shardBytes),
      }));
      const modelJson = {
        format: 'layers-model',
        generatedBy: artifacts.generatedBy,
        convertedBy: 'edgehead export',
        modelTopology: artifacts.modelTopology,
        weightsManifest: [{ paths: shards.map((s) => s.path), weights: artifacts.weightSpecs }],
        userDefinedMetadata: artifacts.userDefinedMetadata,
      };
      files = [{ path: MODEL_JSON, bytes: new TextEncoder().encode(JSON.stringify(modelJson)) }, ...shards];
      return { modelArtifactsInfo: { dateSaved: new Date(0), modelTopologyType: 'JSON', weightDataBytes: weights.length } };
    }),
  );
  return files;
}
