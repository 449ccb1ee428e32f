// AssemblyScript source of image-kernels.wasm (`npm run build:kernels`; a unit test checks that the committed
// binary is these files built). The caller (shared/image/image-kernels.ts) owns the memory layout:
// every pointer is a byte offset into this module's memory, and nothing here allocates. Two kernels: the resize
// (resize-kernel.as.ts), and the decoding of sequential JPEG scans (scan-kernel.as.ts: Huffman codes, over the
// inverse DCTs of idct-kernel.as.ts), whose table layout comes from ../jpeg/huffman-layout.ts, the same source
// the TypeScript side reads.
export { planesToInput } from './resize-kernel.as';
export { decodeScan, reverseBytes } from './scan-kernel.as';
