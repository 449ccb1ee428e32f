/**
 * Whose fault a failure is, and of what sort: the core says this, never an HTTP status. The worker maps each kind
 * to a status in one table (workers/http-errors.ts); the CLI prints the message and exits non-zero.
 * `stored_data` and `config` are the operator's side: our own stored model is corrupt, or the service's
 * configuration is wrong.
 */
export type ErrorKind =
  | 'bad_request' | 'unauthorized' | 'not_found' | 'conflict' | 'too_large' | 'unsupported_media' | 'undecodable'
  | 'invalid_model' | 'rate_limited' | 'not_ready' | 'stored_data' | 'config';

/**
 * Every failure the core expects, with its kind and a stable snake_case `code`. Adapters turn them into
 * `{"error":{"code","message"}}`; anything else is a bug (500).
 */
export class EdgeheadError extends Error {
  constructor(
    readonly kind: ErrorKind,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** 400: the request itself is malformed (bad query parameter, missing multipart field, bad JSON). */
export class BadRequestError extends EdgeheadError {
  constructor(message: string, code = 'bad_request') {
    super('bad_request', code, message);
  }
}

/** A command line the CLI cannot run (missing or malformed argument): the user's to fix. */
export class UsageError extends EdgeheadError {
  constructor(message: string, code = 'bad_argument') {
    super('bad_request', code, message);
  }
}

/** 401: an admin route without the right `Authorization: Bearer <ADMIN_TOKEN>`. */
export class UnauthorizedError extends EdgeheadError {
  constructor(message: string, code = 'unauthorized') {
    super('unauthorized', code, message);
  }
}

/** 409: the request conflicts with the current state (deleting the serving head, a training run already going). */
export class ConflictError extends EdgeheadError {
  constructor(message: string, code = 'conflict') {
    super('conflict', code, message);
  }
}

/** 404: no such resource. */
export class NotFoundError extends EdgeheadError {
  constructor(message: string, code = 'not_found') {
    super('not_found', code, message);
  }
}

/** 413: the upload is too large, in bytes or in pixels. */
export class TooLargeError extends EdgeheadError {
  constructor(message: string, code = 'too_large') {
    super('too_large', code, message);
  }
}

/** 415: not an image type we decode. */
export class UnsupportedMediaError extends EdgeheadError {
  constructor(message: string, code = 'unsupported_media_type') {
    super('unsupported_media', code, message);
  }
}

/** 422: it claims to be a supported image but cannot be decoded (truncated, corrupt). */
export class UndecodableImageError extends EdgeheadError {
  constructor(message: string, code = 'undecodable_image') {
    super('undecodable', code, message);
  }
}

/** 422: a model file someone hands us (TFLite backbone, head blob) is malformed or uses something we do not support. */
export class InvalidModelError extends EdgeheadError {
  constructor(message: string, code = 'invalid_model') {
    super('invalid_model', code, message);
  }
}

/** 503: the service cannot answer yet (no backbone imported, no head published). */
export class NotReadyError extends EdgeheadError {
  constructor(message: string, code = 'not_ready') {
    super('not_ready', code, message);
  }
}

/**
 * 500: a model we stored ourselves (head weights, backbone chunks) is missing, corrupt or unreadable: the
 * server's fault, never the caller's; logged with its cause.
 */
export class CorruptStoredModelError extends EdgeheadError {
  constructor(message: string, code = 'corrupt_stored_model') {
    super('stored_data', code, message);
  }
}

/** The service's configuration (wrangler vars) is invalid: raised while parsing it, named and explained. */
export class ConfigError extends EdgeheadError {
  constructor(message: string, code = 'invalid_config') {
    super('config', code, message);
  }
}

/** The JSON body every error response carries. */
export interface ErrorBody {
  error: { code: string; message: string };
}

export function toErrorBody(error: EdgeheadError): ErrorBody {
  return { error: { code: error.code, message: error.message } };
}
