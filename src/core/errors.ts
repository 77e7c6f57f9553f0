/**
 * The one error vocabulary. Every failure the API reports, ours or a validation failure or an
 * unknown route, leaves as `{ error: { code, message } }` with the status this table gives.
 */
export const errorStatus = {
  invalid_json: 400,
  bad_request: 400,
  unauthorized: 401,
  invalid_signature: 401,
  forbidden: 403,
  not_found: 404,
  method_not_allowed: 405,
  conflict: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  validation_failed: 422,
  nothing_to_pay: 422,
  rate_limited: 429,
  internal: 500,
  unavailable: 503,
  timeout: 504,
} as const;

export type ErrorCode = keyof typeof errorStatus;
export type ErrorStatus = (typeof errorStatus)[ErrorCode];
export const ERROR_CODES = Object.keys(errorStatus) as ErrorCode[];

/** A typed failure a use-case throws; the error middleware turns it into the envelope. */
export class AppError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'AppError';
  }

  get status(): ErrorStatus {
    return errorStatus[this.code];
  }
}

export function errorBody(code: ErrorCode, message: string) {
  return { error: { code, message } };
}

/** The same answer for "missing" and "someone else's" (P20): nothing tells the two apart. */
export function notFound(what: string): AppError {
  return new AppError('not_found', `${what} not found`);
}

/** What a schema check reports of one failing field (zod's issue, reduced to what we print). */
export interface FieldIssue {
  path: readonly PropertyKey[];
  message: string;
}

/** `items[0].unitPrice`: the path as a JavaScript reader of the body would write it. */
export function fieldPath(path: readonly PropertyKey[]): string {
  let text = '';
  for (const part of path) {
    if (typeof part === 'number') text += `[${part}]`;
    else text += text === '' ? String(part) : `.${String(part)}`;
  }
  return text;
}

/**
 * One validation failure naming every failing field, so a client fixes its request in one
 * round trip: `name: expected string; items[0].unitPrice: too many decimals`. `rename` maps a
 * schema path onto the names the caller actually sent (the postback's query parameters).
 */
export function validationFailed(issues: readonly FieldIssue[], rename: (path: string) => string = (p) => p): AppError {
  const parts = issues.map((issue) => {
    const path = rename(fieldPath(issue.path));
    return path === '' ? issue.message : `${path}: ${issue.message}`;
  });
  return new AppError('validation_failed', parts.length > 0 ? parts.join('; ') : 'invalid request');
}
