import type { IncomingMessage, ServerResponse } from "node:http";
import { acceptsGzip } from "./accepts-gzip.js";
import { jsonType, type PreparedBody } from "./prepared-body.js";
import { securityHeaders } from "./security-headers.js";

/**
 * Writes a response: the security headers, the content type, gzip when the
 * client takes it, and no body for HEAD (node drops it, Content-Length stays).
 */
export function sendBody(
  req: IncomingMessage,
  res: ServerResponse,
  status: number,
  prepared: PreparedBody,
  extra: Record<string, string> = {},
): void {
  const gzip = prepared.gzipped !== null && acceptsGzip(req);
  const body = gzip ? prepared.gzipped! : prepared.body;
  const headers: Record<string, string> = {
    ...securityHeaders,
    "Content-Type": prepared.type,
    "Content-Length": String(body.length),
    "Cache-Control": "no-cache",
    ...extra,
  };
  if (prepared.gzipped !== null) headers.Vary = "Accept-Encoding";
  if (gzip) headers["Content-Encoding"] = "gzip";
  res.writeHead(status, headers);
  res.end(body);
}

/**
 * An error as `{"error": message}`. `close` ends the connection afterwards:
 * used when the request may still have unread bytes (a refused body), so they
 * are never parsed as the next request.
 */
export function sendError(
  req: IncomingMessage,
  res: ServerResponse,
  status: number,
  message: string,
  options: { close?: boolean; headers?: Record<string, string> } = {},
): void {
  const body = Buffer.from(JSON.stringify({ error: message }), "utf8");
  const extra = { ...options.headers, ...(options.close ? { Connection: "close" } : {}) };
  sendBody(req, res, status, { type: jsonType, body, gzipped: null }, extra);
}
