/**
 * Test helper: an HTTP object store on 127.0.0.1 — PUT keeps the body under the path, GET
 * answers it (404 when absent), DELETE drops it — the way nginx's dav module or a gateway in
 * front of object storage behaves. `failWith` makes every request answer that status (an
 * outage); `requests` logs method, path and the Authorization header of each.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export class HttpStoreServer {
  readonly objects = new Map<string, Buffer>();
  readonly requests: { method: string; path: string; authorization: string | undefined }[] = [];
  failWith: number | undefined;

  private constructor(private readonly server: Server) {}

  static async start(): Promise<HttpStoreServer> {
    let self!: HttpStoreServer;
    const server = createServer((req, res) => {
      const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
      self.requests.push({ method: req.method ?? '', path, authorization: req.headers.authorization });
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        if (self.failWith !== undefined) {
          res.writeHead(self.failWith).end();
          return;
        }
        if (req.method === 'PUT') {
          self.objects.set(path, Buffer.concat(chunks));
          res.writeHead(201).end();
        } else if (req.method === 'GET') {
          const body = self.objects.get(path);
          if (!body) res.writeHead(404).end();
          else res.writeHead(200, { 'content-type': 'audio/wav', 'content-length': String(body.length) }).end(body);
        } else if (req.method === 'DELETE') {
          res.writeHead(self.objects.delete(path) ? 204 : 404).end();
        } else res.writeHead(405).end();
      });
    });
    self = new HttpStoreServer(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return self;
  }

  /** Base URL with a path prefix, as an operator would configure it. */
  get baseUrl(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/audio/`;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
