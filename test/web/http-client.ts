import { type IncomingHttpHeaders, request } from "node:http";
import { connect } from "node:net";

export interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/**
 * One HTTP request with the path sent exactly as given (fetch would resolve
 * "..", drop "\" and re-encode; node:http sends it as written). No decoding
 * of gzip: the test sees the bytes the server sent.
 */
export function httpRequest(
  port: number,
  options: { method?: string; path: string; headers?: Record<string, string>; body?: string },
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: "127.0.0.1",
        port,
        method: options.method ?? "GET",
        path: options.path,
        headers: options.headers,
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () =>
          resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }),
        );
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end(options.body);
  });
}

/** Bytes written straight to a socket (for requests node:http refuses to send); the raw reply as text. */
export function rawExchange(port: number, text: string | Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1", () => socket.write(text));
    const chunks: Buffer[] = [];
    socket.on("data", (c: Buffer) => chunks.push(c));
    socket.on("end", () => resolve(Buffer.concat(chunks).toString("latin1")));
    socket.on("error", (e: NodeJS.ErrnoException) =>
      // a server that answers and closes while we still write can reset the connection
      e.code === "ECONNRESET" ? resolve(Buffer.concat(chunks).toString("latin1")) : reject(e),
    );
    socket.setTimeout(10_000, () => {
      socket.destroy();
      reject(new Error("no reply within 10 s"));
    });
  });
}

/** The status code of a raw HTTP reply ("HTTP/1.1 404 Not Found" → 404), or 0 when there was none. */
export function rawStatus(reply: string): number {
  const match = /^HTTP\/1\.[01] (\d{3})/.exec(reply);
  return match ? Number(match[1]) : 0;
}
