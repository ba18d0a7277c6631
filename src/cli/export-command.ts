// Placeholder: replaced by the real command.
export const exportHelp = "cosae export: not yet available";
export async function exportCommand(_argv: string[]): Promise<void> {
  throw new Error("cosae export is not available yet");
}
