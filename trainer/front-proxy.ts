/**
 * The small HTTP front `edgehead serve` puts before `wrangler dev`. workerd's local HTTP server never answers
 * `Expect: 100-continue` (curl sends it with every upload over 1 MB and then waits a second before sending the
 * body); Node's server answers it at once. Requests and responses are streamed both ways, upgrades (WebSocket)
 * piped as raw sockets; while wrangler is not listening yet, requests get a 503 in the service's error shape.
 */
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { connect, createServer as createNetServer, type AddressInfo, type Socket } from 'node:net';

export interface FrontProxy {
  server: Server;
  close(): Promise<void>;
}

function sendError(res: ServerResponse, status: number, code: string, message: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { code, message } }));
}

function forward(req: IncomingMessage, res: ServerResponse, upstreamPort: number): void {
  // The interim 100 Continue is answered here; the body follows at once, so upstream is not asked to wait for it.
  const { expect: _expect, ...headers } = req.headers;
  const upstream = httpRequest(
    { host: '127.0.0.1', port: upstreamPort, method: req.method, path: req.url, headers },
    (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.statusMessage, answer.rawHeaders);
      answer.pipe(res);
    },
  );
  upstream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'ECONNREFUSED') sendError(res, 503, 'service_starting', 'the local service is starting (wrangler dev is not listening yet); try again in a few seconds');
    else sendError(res, 502, 'upstream_failed', `the local service (wrangler dev) failed to answer: ${error.message}`);
  });
  res.on('close', () => {
    if (!res.writableFinished) upstream.destroy();
  });
  req.pipe(upstream);
}

/** Raw request line and headers of an upgrade request, for the upstream socket. */
function upgradeHead(req: IncomingMessage): string {
  const lines = [`${req.method} ${req.url} HTTP/${req.httpVersion}`];
  for (let i = 0; i < req.rawHeaders.length; i += 2) lines.push(`${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}`);
  return `${lines.join('\r\n')}\r\n\r\n`;
}

function pipeUpgrade(req: IncomingMessage, socket: Socket, head: Buffer, upstreamPort: number): void {
  const upstream = connect(upstreamPort, '127.0.0.1', () => {
    upstream.write(upgradeHead(req));
    if (head.length) upstream.write(head);
    upstream.pipe(socket).pipe(upstream);
  });
  upstream.on('error', () => socket.destroy());
  socket.on('error', () => upstream.destroy());
}

/** A TCP port on 127.0.0.1 that nothing listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createNetServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
    probe.once('error', reject);
  });
}

/**
 * Listens on 127.0.0.1:`port` and forwards everything to 127.0.0.1:`upstreamPort`. Node's server answers
 * `Expect: 100-continue` with `100 Continue` before the request reaches the handler (no checkContinue listener).
 */
export async function startFrontProxy(port: number, upstreamPort: number): Promise<FrontProxy> {
  const server = createServer((req, res) => forward(req, res, upstreamPort));
  server.on('upgrade', (req, socket, head) => pipeUpgrade(req, socket as Socket, head, upstreamPort));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  return {
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
