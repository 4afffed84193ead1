// A TCP pass-through in front of the APIG simulator that reads the HTTP/1.1
// bytes going by: when each request started, what it carried (a digest of the
// body, the X-Auth-Token it used) and which answer, if any, reached the
// operator. The simulator's own log records a request only once it is
// answered and cannot tell whether the caller was still there to read it;
// the digest rule and the lock-out rule need both.
import { createHash } from 'node:crypto';
import { createServer, connect, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

export interface TappedExchange {
  /** Order in which requests started, across connections. */
  seq: number;
  connection: number;
  /** When the first byte of the request reached the tap (Date.now()). */
  sentAt: number;
  method: string;
  /** Path without the query string. */
  path: string;
  /** APIG certificate ID for …/certificates/{id} calls. */
  certificateId?: string;
  /** SHA-256 of the request body: the same certificate content gives the same digest. */
  bodyDigest: string;
  /** The X-Auth-Token the request carried (IAM or fixed token auth). */
  authToken?: string;
  /** Status of the answer that reached the operator; undefined when none did. */
  status?: number;
  /** The answer's body is JSON (a 200 cut short by a proxy is not an acceptance). */
  answerIsJson?: boolean;
  answeredAt?: number;
  /** X-Subject-Token of an IAM token answer. */
  subjectToken?: string;
}

interface ParsedMessage {
  startLine: string;
  headers: Map<string, string>;
  body: Buffer;
}

/** Splits a byte stream into HTTP/1.1 messages framed by Content-Length (all the simulator and undici send here). */
class MessageParser {
  #buffer = Buffer.alloc(0);
  readonly #onMessage: (message: ParsedMessage) => void;

  constructor(onMessage: (message: ParsedMessage) => void) {
    this.#onMessage = onMessage;
  }

  push(chunk: Buffer): void {
    this.#buffer = Buffer.concat([this.#buffer, chunk]);
    for (;;) {
      const headEnd = this.#buffer.indexOf('\r\n\r\n');
      if (headEnd < 0) return;
      const head = this.#buffer.subarray(0, headEnd).toString('latin1').split('\r\n');
      const headers = new Map<string, string>();
      for (const line of head.slice(1)) {
        const colon = line.indexOf(':');
        if (colon > 0)
          headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
      }
      const length = Number(headers.get('content-length') ?? '0');
      const total = headEnd + 4 + length;
      if (this.#buffer.length < total) return;
      const body = this.#buffer.subarray(headEnd + 4, total);
      this.#buffer = this.#buffer.subarray(total);
      this.#onMessage({ startLine: head[0] ?? '', headers, body });
    }
  }
}

const CERTIFICATE_PATH = /\/certificates\/([^/?]+)$/;

export class HttpTap {
  readonly exchanges: TappedExchange[] = [];
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();
  /** Exchanges whose connection ended before an answer came back. */
  readonly #unanswered = new Set<number>();
  #connections = 0;

  private constructor(upstreamPort: number) {
    this.#server = createServer((client) => this.#relay(client, upstreamPort));
  }

  /** Starts a tap forwarding to `upstream` (an http:// URL on 127.0.0.1). */
  static async start(upstream: string): Promise<HttpTap> {
    const tap = new HttpTap(Number(new URL(upstream).port));
    await new Promise<void>((resolve) => tap.#server.listen(0, '127.0.0.1', resolve));
    return tap;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  /** Requests that started and have not been answered or dropped yet. */
  inFlight(): TappedExchange[] {
    return this.exchanges.filter((e) => e.answeredAt === undefined && !this.#unanswered.has(e.seq));
  }

  /** PUTs of one APIG certificate, in the order they started. */
  puts(certificateId: string): TappedExchange[] {
    return this.exchanges.filter((e) => e.method === 'PUT' && e.certificateId === certificateId);
  }

  /** Every X-Subject-Token IAM issued through the tap (for leak scans). */
  issuedTokens(): string[] {
    return this.exchanges.flatMap((e) => (e.subjectToken ? [e.subjectToken] : []));
  }

  async close(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #relay(client: Socket, upstreamPort: number): void {
    const connection = ++this.#connections;
    const upstream = connect(upstreamPort, '127.0.0.1');
    this.#sockets.add(client);
    this.#sockets.add(upstream);
    /** Requests on this connection still waiting for their answer, oldest first (no pipelining). */
    const waiting: TappedExchange[] = [];
    // A request starts when its first byte arrives, not its last.
    let pendingStart: number | undefined;

    const requests = new MessageParser(({ startLine, headers, body }) => {
      const [method = '', target = ''] = startLine.split(' ');
      const path = target.split('?')[0] ?? '';
      const certificateId = CERTIFICATE_PATH.exec(path)?.[1];
      const exchange: TappedExchange = {
        seq: this.exchanges.length + 1,
        connection,
        sentAt: pendingStart ?? Date.now(),
        method,
        path,
        ...(certificateId ? { certificateId: decodeURIComponent(certificateId) } : {}),
        bodyDigest: createHash('sha256').update(body).digest('hex'),
        ...(headers.has('x-auth-token') ? { authToken: headers.get('x-auth-token') } : {}),
      };
      pendingStart = undefined;
      this.exchanges.push(exchange);
      waiting.push(exchange);
    });
    const answers = new MessageParser(({ startLine, headers, body }) => {
      const exchange = waiting.shift();
      if (!exchange) return;
      if (client.destroyed) {
        this.#unanswered.add(exchange.seq);
        return;
      }
      exchange.status = Number(startLine.split(' ')[1]);
      exchange.answeredAt = Date.now();
      exchange.answerIsJson = isJson(body);
      const token = headers.get('x-subject-token');
      if (token) exchange.subjectToken = token;
    });

    client.on('data', (chunk: Buffer) => {
      pendingStart ??= Date.now();
      requests.push(chunk);
      upstream.write(chunk);
    });
    // Parse before forwarding: an answer counts as delivered only if the
    // operator's socket is still open when it arrives.
    upstream.on('data', (chunk: Buffer) => {
      answers.push(chunk);
      if (!client.destroyed) client.write(chunk);
    });
    const end = (): void => {
      for (const exchange of waiting.splice(0)) this.#unanswered.add(exchange.seq);
      client.destroy();
      upstream.destroy();
      this.#sockets.delete(client);
      this.#sockets.delete(upstream);
    };
    // A reset on either side is passed on as a reset: the operator must see
    // the connection drop exactly as the simulator dropped it.
    client.on('close', end);
    upstream.on('close', end);
    client.on('error', end);
    upstream.on('error', end);
  }
}

function isJson(body: Buffer): boolean {
  try {
    JSON.parse(body.toString('utf8'));
    return true;
  } catch {
    return false;
  }
}
