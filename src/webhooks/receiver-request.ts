/** What a receiver answered: its status (null when none came), an error, and the first 1 KB of its body. */
export interface ReceiverAnswer {
  statusCode: number | null;
  error: string | null;
  response: string;
  latencyMs: number;
}

const RESPONSE_CAP_BYTES = 1024;

/**
 * One outbound request: no redirect followed (a 3xx is an answer, and a failure), the whole
 * exchange cut at `timeoutMs`, and no more than 1 KB of the answer read, so a receiver can
 * neither hold the dispatcher nor fill its memory.
 */
export async function sendToReceiver(
  fetchFn: typeof fetch,
  url: string,
  init: RequestInit,
  timeoutMs: number,
): Promise<ReceiverAnswer> {
  const started = performance.now();
  const signal = AbortSignal.timeout(timeoutMs);
  const elapsed = () => Math.round(performance.now() - started);
  try {
    const res = await fetchFn(url, { ...init, redirect: 'manual', signal });
    const response = await readCapped(res);
    return { statusCode: res.status, error: res.ok ? null : `HTTP ${res.status}`, response, latencyMs: elapsed() };
  } catch (error) {
    const timedOut = signal.aborted;
    return {
      statusCode: null,
      error: timedOut ? `timed out after ${timeoutMs} ms` : error instanceof Error ? error.message : String(error),
      response: '',
      latencyMs: elapsed(),
    };
  }
}

async function readCapped(res: Response): Promise<string> {
  if (!res.body) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  while (size < RESPONSE_CAP_BYTES) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    size += value.byteLength;
  }
  if (size >= RESPONSE_CAP_BYTES) await reader.cancel().catch(() => undefined);
  const bytes = new Uint8Array(Math.min(size, RESPONSE_CAP_BYTES));
  let at = 0;
  for (const chunk of chunks) {
    const part = chunk.subarray(0, bytes.length - at);
    bytes.set(part, at);
    at += part.length;
    if (at >= bytes.length) break;
  }
  return new TextDecoder().decode(bytes);
}
