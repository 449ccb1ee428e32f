// The sizes of a Huffman decoding table and where each part sits when the table is copied into the wasm
// kernel's memory: the one source read by huffman.ts, image-kernels.ts and the AssemblyScript kernel
// (kernels/scan-kernel.as.ts imports this file too, so it holds plain integer constants only, in the
// subset of TypeScript that AssemblyScript compiles).

/** Bits of the first look-up of every code (`lookup`, `acFast`). */
export const LOOKAHEAD = 10;
/** Bits of the look-up of two AC coefficients at once (`acPair`). */
export const PAIR_BITS = 12;
/** Entries of the long-code arrays (`maxCode`, `valueOffset`): code lengths 0..17. */
export const LONG_CODE_ENTRIES = 18;

/** Byte offsets of a table's parts in the kernel: lookup (u16), acFast (i32), acPair (i32), maxCode (i32), valueOffset (i32), values (u8). */
export const TABLE_LOOKUP = 0;
export const TABLE_AC_FAST = TABLE_LOOKUP + (2 << LOOKAHEAD);
export const TABLE_AC_PAIR = TABLE_AC_FAST + (4 << LOOKAHEAD);
export const TABLE_MAX_CODE = TABLE_AC_PAIR + (4 << PAIR_BITS);
export const TABLE_VALUE_OFFSET = TABLE_MAX_CODE + 4 * LONG_CODE_ENTRIES;
export const TABLE_VALUES = TABLE_VALUE_OFFSET + 4 * LONG_CODE_ENTRIES;
/** Bytes of one table in the kernel's memory. */
export const TABLE_BYTES = TABLE_VALUES + 256;
