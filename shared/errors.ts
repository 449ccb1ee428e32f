/**
 * Every failure a user can cause is one of these, with a stable snake_case `code` and the HTTP status
 * it maps to. Adapters turn them into `{"error":{"code","message"}}`; anything else is a bug (500).
 */
export class EdgeheadError extends Error {
  constructor(
    readonly status: 400 | 401 | 403 | 404 | 409 | 413 | 415 | 422 | 429 | 503,
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
    super(400, code, message);
  }
}

/** 401: an admin route without the right `Authorization: Bearer <ADMIN_TOKEN>`. */
export class UnauthorizedError extends EdgeheadError {
  constructor(message: string, code = 'unauthorized') {
    super(401, code, message);
  }
}

/** 409: the request conflicts with the current state (deleting the serving head, a training run already going). */
export class ConflictError extends EdgeheadError {
  constructor(message: string, code = 'conflict') {
    super(409, code, message);
  }
}

/** 404: no such resource. */
export class NotFoundError extends EdgeheadError {
  constructor(message: string, code = 'not_found') {
    super(404, code, message);
  }
}

/** 413: the upload is too large, in bytes or in pixels. */
export class TooLargeError extends EdgeheadError {
  constructor(message: string, code = 'too_large') {
    super(413, code, message);
  }
}

/** 415: not an image type we decode. */
export class UnsupportedMediaError extends EdgeheadError {
  constructor(message: string, code = 'unsupported_media_type') {
    super(415, code, message);
  }
}

/** 422: it claims to be a supported image but cannot be decoded (truncated, corrupt). */
export class UndecodableImageError extends EdgeheadError {
  constructor(message: string, code = 'undecodable_image') {
    super(422, code, message);
  }
}

/** 422: a model file (TFLite backbone, head blob) is malformed or uses something we do not support. */
export class InvalidModelError extends EdgeheadError {
  constructor(message: string, code = 'invalid_model') {
    super(422, code, message);
  }
}

/** 503: the service cannot answer yet (no backbone imported, no head published). */
export class NotReadyError extends EdgeheadError {
  constructor(message: string, code = 'not_ready') {
    super(503, code, message);
  }
}

/** The JSON body every error response carries. */
export interface ErrorBody {
  error: { code: string; message: string };
}

export function toErrorBody(error: EdgeheadError): ErrorBody {
  return { error: { code: error.code, message: error.message } };
}
