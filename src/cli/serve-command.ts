// Placeholder: replaced by the real command.
export const serveHelp = "cosae serve: not yet available";
export async function serveCommand(_argv: string[]): Promise<void> {
  throw new Error("cosae serve is not available yet");
}
