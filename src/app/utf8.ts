import { AppError } from '../core/errors';

// Without `stream`, every decode() starts afresh: one decoder serves every request.
const strict = new TextDecoder('utf-8', { fatal: true });

/**
 * The bytes as text, or undefined when they are not UTF-8. Request bodies are decoded strictly
 * everywhere: a replacement character would reach the store in a name or an id.
 */
export function decodeUtf8(bytes: ArrayBuffer | Uint8Array): string | undefined {
  try {
    return strict.decode(bytes);
  } catch {
    return undefined;
  }
}

/** Reads a JSON body from raw bytes: a signature is over these bytes, not a re-serialisation. */
export function parseJsonBytes(raw: Uint8Array): unknown {
  const text = decodeUtf8(raw);
  try {
    if (text === undefined) throw new Error('not UTF-8');
    return JSON.parse(text);
  } catch {
    throw new AppError('invalid_json', 'the body must be valid UTF-8 JSON');
  }
}
