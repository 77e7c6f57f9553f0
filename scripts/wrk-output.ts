/** What one wrk run printed (`wrk --latency`), read once for every benchmark that drives wrk. */
export interface WrkOutput {
  requestsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  /** Completed responses wrk counted. */
  requests: number;
  /** Connection errors and timeouts. */
  socketErrors: number;
  /** Responses wrk counted as "Non-2xx or 3xx". */
  badStatus: number;
}

/** wrk prints latencies as 812.00us, 1.23ms, 1.01s or 1.50m. */
function toMs(text: string): number {
  const match = /^([\d.]+)(us|ms|s|m)$/.exec(text.trim());
  if (!match) throw new Error(`cannot read wrk latency ${JSON.stringify(text)}`);
  const value = Number(match[1]);
  const unit = match[2]!;
  return unit === 'us' ? value / 1000 : unit === 'ms' ? value : unit === 's' ? value * 1000 : value * 60_000;
}

export function parseWrkOutput(output: string): WrkOutput {
  const rps = /Requests\/sec:\s+([\d.]+)/.exec(output);
  const p50 = /^\s*50(?:\.0+)?%\s+(\S+)/m.exec(output);
  const p99 = /^\s*99(?:\.0+)?%\s+(\S+)/m.exec(output);
  const total = /(\d+) requests in /.exec(output);
  if (!rps || !p50 || !p99 || !total) throw new Error(`cannot parse wrk output:\n${output}`);
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(output);
  const bad = /Non-2xx or 3xx responses: (\d+)/.exec(output);
  return {
    requestsPerSec: Number(rps[1]),
    p50Ms: toMs(p50[1]!),
    p99Ms: toMs(p99[1]!),
    requests: Number(total[1]),
    socketErrors: socket ? socket.slice(1).reduce((sum, n) => sum + Number(n), 0) : 0,
    badStatus: bad ? Number(bad[1]) : 0,
  };
}
