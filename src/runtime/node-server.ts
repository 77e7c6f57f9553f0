import type { Server } from 'node:http';
import { serve } from '@hono/node-server';
import type { Config } from './config';

type ServerLimits = Pick<
  Config,
  'PORT' | 'HOST' | 'HEADERS_TIMEOUT_SECONDS' | 'REQUEST_TIMEOUT_SECONDS' | 'KEEP_ALIVE_TIMEOUT_SECONDS' | 'MAX_CONNECTIONS'
>;

/**
 * The HTTP server with its limits at the door. Node's defaults let a client hold a socket for
 * 300 s by declaring a body it never sends; here a request must arrive whole (headers and body)
 * within REQUEST_TIMEOUT_SECONDS or gets 408 and a closed socket, idle keep-alive sockets close
 * after KEEP_ALIVE_TIMEOUT_SECONDS, and sockets past MAX_CONNECTIONS are closed on accept.
 */
export function serveWithLimits(
  fetch: (request: Request) => Response | Promise<Response>,
  config: ServerLimits,
  onListening: (port: number) => void,
): Server {
  const server = serve(
    {
      fetch,
      port: config.PORT,
      hostname: config.HOST,
      serverOptions: {
        headersTimeout: config.HEADERS_TIMEOUT_SECONDS * 1000,
        requestTimeout: config.REQUEST_TIMEOUT_SECONDS * 1000,
        keepAliveTimeout: config.KEEP_ALIVE_TIMEOUT_SECONDS * 1000,
        // Node looks for timed-out requests every 30 s by default, which would let a 30 s
        // timeout run to 60 s; once a second keeps the cut within a second of the limit.
        connectionsCheckingInterval: 1000,
      },
    },
    (info) => onListening(info.port),
  ) as Server;
  // Older Node versions read these from the server, not the constructor's options.
  server.keepAliveTimeout = config.KEEP_ALIVE_TIMEOUT_SECONDS * 1000;
  server.maxConnections = config.MAX_CONNECTIONS;
  return server;
}
