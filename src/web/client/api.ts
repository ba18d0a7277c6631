import type { LatentResponse, LatentTableResponse, SaeListResponse } from "../../features/latent-record.js";

/** GET a JSON route of this server; a failure carries the server's own message when it sent one. */
async function getJson<T>(path: string, signal?: AbortSignal): Promise<T> {
  const response = await fetch(path, { signal: signal ?? null, headers: { Accept: "application/json" } });
  if (!response.ok) {
    let message = `${response.status} ${response.statusText}`;
    try {
      const body = (await response.json()) as { error?: unknown };
      if (typeof body.error === "string") message = body.error;
    } catch {
      // not JSON: keep the status line
    }
    throw new Error(message);
  }
  return (await response.json()) as T;
}

export const api = {
  saes: () => getJson<SaeListResponse>("/api/saes"),
  table: (sae: number) => getJson<LatentTableResponse>(`/api/saes/${sae}/latents`),
  latent: (sae: number, latent: number, signal?: AbortSignal) =>
    getJson<LatentResponse>(`/api/saes/${sae}/latents/${latent}`, signal),
};
