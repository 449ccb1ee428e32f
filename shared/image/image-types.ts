/** A decoded image: interleaved 8-bit RGB, row-major, `data.length === width * height * 3`. */
export interface RgbImage {
  data: Uint8Array;
  width: number;
  height: number;
  channels: 3;
}

/** The container formats we recognise by their magic bytes. */
export type ImageFormat = 'jpeg' | 'png' | 'webp';

/** What the header says, read without decoding pixels. */
export interface ImageInfo {
  format: ImageFormat;
  /** Stored width in pixels, before EXIF orientation is applied. */
  width: number;
  /** Stored height in pixels, before EXIF orientation is applied. */
  height: number;
  /** EXIF orientation 1..8, 1 when absent */
  orientation: number;
  /** JPEG only: progressive (SOF2) rather than sequential. */
  progressive?: boolean;
  /** JPEG: colour components in the frame (1, 3 or 4); PNG: samples per pixel (1 to 4, palette counts as 1). */
  components?: number;
}

/** Named in every 415 message so the caller knows what to send instead. */
export const ACCEPTED_TYPES = 'accepted: image/jpeg (baseline or progressive, 8-bit), image/png and image/webp';
