/**
 * DNS-rebinding protection. A page on evil.example can point its own name at
 * 127.0.0.1 and then read a loopback server as "same origin"; its requests
 * still carry `Host: evil.example:PORT`, so a server bound to loopback answers
 * only requests addressed to a loopback name with its own port.
 */

export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[(.*)\]$/, "$1");
  return h === "localhost" || h === "::1" || /^127(\.\d{1,3}){3}$/.test(h);
}

/**
 * The check for a server bound to `host` and listening on `port`: for loopback,
 * exactly localhost / 127.0.0.1 / [::1] with the port (the port may be left out
 * only when it is 80, as browsers do); for any other address (the user asked
 * for network access with --host) every Host is let through.
 */
export function hostHeaderCheck(host: string, port: number): (hostHeader: string | undefined) => boolean {
  if (!isLoopbackHost(host)) return (hostHeader) => hostHeader !== undefined;
  const names = ["localhost", "127.0.0.1", "[::1]"];
  if (!names.includes(host.toLowerCase())) names.push(host.toLowerCase()); // e.g. 127.0.0.2
  const allowed = new Set(names.map((n) => `${n}:${port}`));
  if (port === 80) for (const n of names) allowed.add(n);
  return (hostHeader) => hostHeader !== undefined && allowed.has(hostHeader.toLowerCase());
}
