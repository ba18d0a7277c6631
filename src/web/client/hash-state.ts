/**
 * The open latent of each pane, kept in the URL hash (#a=123&b=45) so a view
 * can be bookmarked, reloaded and shared.
 */
export const paneKeys = ["a", "b"] as const;

export function readHash(hash: string, panes: number): (number | null)[] {
  const params = new URLSearchParams(hash.replace(/^#/, ""));
  return paneKeys.slice(0, panes).map((key) => {
    const value = params.get(key);
    return value !== null && /^(0|[1-9]\d{0,8})$/.test(value) ? Number(value) : null;
  });
}

export function writeHash(latents: readonly (number | null)[]): string {
  const parts = latents.flatMap((latent, i) => (latent === null ? [] : [`${paneKeys[i]}=${latent}`]));
  return parts.length > 0 ? `#${parts.join("&")}` : "#";
}
