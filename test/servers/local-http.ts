import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/*
 * What every local test server shares: an HTTP server on 127.0.0.1 at a free port, and a stop()
 * that does not wait for the clients' keep-alive connections.
 */

interface LocalHttpServer {
  readonly endpoint: string;
  /** Closes the server, destroying open connections (keep-alive, or held by a 'timeout' fault). */
  stop(): Promise<void>;
}

type RequestHandler = (request: IncomingMessage, response: ServerResponse) => Promise<void>;

/** Serves `handle`; `onError` ends a request whose handler threw. */
async function serveLocal(
  handle: RequestHandler,
  onError: (request: IncomingMessage, response: ServerResponse, error: unknown) => void,
): Promise<LocalHttpServer> {
  const sockets = new Set<Socket>();
  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => onError(request, response, error));
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    stop(): Promise<void> {
      return new Promise((resolve, reject) => {
        server.close((error) => (error === undefined ? resolve() : reject(error)));
        for (const socket of sockets) socket.destroy();
      });
    },
  };
}

/** An `onError` that drops the connection: the client sees a reset. */
function dropConnection(request: IncomingMessage): void {
  request.socket.destroy();
}

export type { LocalHttpServer };
export { dropConnection, serveLocal };
