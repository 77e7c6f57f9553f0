import type { Logger } from '../core/deps';
import { AppError } from '../core/errors';

/**
 * A refused webhook signature: one log line for the operator (which check failed, for which
 * program and delivery; never a secret or a signature), and the 401 the sender sees. Without the
 * line, a shop misconfigured with the wrong secret is invisible on the server.
 */
export function signatureRejected(
  log: Logger,
  reason: string,
  where: { channel: string; programId: number; deliveryId?: string | undefined },
): AppError {
  log.info('webhook signature rejected', {
    reason,
    channel: where.channel,
    programId: where.programId,
    ...(where.deliveryId ? { deliveryId: where.deliveryId.slice(0, 64) } : {}),
  });
  return new AppError('invalid_signature', `webhook signature rejected: ${reason.replace(/_/g, ' ')}`);
}
