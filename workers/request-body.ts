/** Reading an uploaded image out of a request: raw body or multipart, size-capped while streaming. */
import { BadRequestError, TooLargeError, UnsupportedMediaError } from '../shared/errors.ts';

const RAW_IMAGE_TYPES = ['image/jpeg', 'image/png', 'image/webp'];
const ACCEPTED = 'image/jpeg, image/png or image/webp as the raw body, or multipart/form-data with the file in field "image"';

function tooLarge(limit: number): TooLargeError {
  return new TooLargeError(`upload is larger than the limit of ${limit} bytes`);
}

/** Reads the whole body, failing as soon as it passes `limit` bytes (chunked uploads send no length). */
async function readCapped(request: Request, limit: number): Promise<Uint8Array> {
  const declared = Number(request.headers.get('content-length') ?? NaN);
  if (declared > limit) throw tooLarge(limit);
  if (!request.body) return new Uint8Array(0);
  // With a declared length (already checked) the runtime reads the body in one native step: streaming it in
  // 4 KiB chunks through JS cost about 10-15 ms of CPU per MB (measured by the benchmark's /upload route).
  if (Number.isSafeInteger(declared) && declared >= 0) return new Uint8Array(await request.arrayBuffer());
  const reader = request.body.getReader();
  const parts: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > limit) {
      await reader.cancel();
      throw tooLarge(limit);
    }
    parts.push(value);
  }
  const body = new Uint8Array(total);
  let offset = 0;
  for (const part of parts) {
    body.set(part, offset);
    offset += part.byteLength;
  }
  return body;
}

/**
 * The image bytes of a classify request.
 * @throws TooLargeError (413), UnsupportedMediaError (415) for other content types, BadRequestError (400)
 *   for an empty body or a multipart body without an `image` file
 */
export async function readImageUpload(request: Request, maxBytes: number): Promise<Uint8Array> {
  return (await readUpload(request, maxBytes)).bytes;
}

/**
 * An uploaded image plus the text fields sent with it: for a raw body, the query string; for multipart, the
 * form's other string fields.
 * @throws as {@link readImageUpload}
 */
export async function readUpload(request: Request, maxBytes: number): Promise<{ bytes: Uint8Array; fields: Map<string, string> }> {
  const contentType = (request.headers.get('content-type') ?? '').split(';')[0].trim().toLowerCase();
  if (contentType === 'multipart/form-data') {
    const body = await readCapped(request, maxBytes);
    let form: FormData;
    try {
      form = await new Response(body, { headers: { 'content-type': request.headers.get('content-type')! } }).formData();
    } catch {
      throw new BadRequestError('multipart body could not be parsed; send the file in a form field named "image"', 'malformed_multipart');
    }
    const file = form.get('image') as unknown as File | string | null;
    if (file === null || typeof file === 'string') {
      throw new BadRequestError('multipart body has no file in field "image"', 'missing_image');
    }
    const type = file.type.toLowerCase();
    if (type && type !== 'application/octet-stream' && !RAW_IMAGE_TYPES.includes(type)) {
      throw new UnsupportedMediaError(`file type ${type} is not supported; send ${ACCEPTED}`);
    }
    const fields = new Map<string, string>();
    form.forEach((value, key) => {
      if (typeof value === 'string') fields.set(key, value);
    });
    return { bytes: nonEmpty(new Uint8Array(await file.arrayBuffer())), fields };
  }
  if (!RAW_IMAGE_TYPES.includes(contentType) && contentType !== 'application/octet-stream') {
    throw new UnsupportedMediaError(`content type ${contentType || '(none)'} is not supported; send ${ACCEPTED}`);
  }
  return { bytes: nonEmpty(await readCapped(request, maxBytes)), fields: new Map(new URL(request.url).searchParams) };
}

function nonEmpty(bytes: Uint8Array): Uint8Array {
  if (bytes.byteLength === 0) throw new BadRequestError(`the request has no image; send ${ACCEPTED}`, 'empty_body');
  return bytes;
}

/** Reads a JSON object body (e.g. `{"label":"bees"}`). @throws BadRequestError (invalid_json) for anything else */
export async function readJsonObject(request: Request): Promise<Record<string, unknown>> {
  try {
    const body = (await request.json()) as unknown;
    if (body && typeof body === 'object' && !Array.isArray(body)) return body as Record<string, unknown>;
  } catch {
    // falls through to the same error as a non-object body
  }
  throw new BadRequestError('the body must be a JSON object, e.g. {"label":"bees"}', 'invalid_json');
}
