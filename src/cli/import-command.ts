// Placeholder: replaced by the real command.
export const importHelp = "cosae import: not yet available";
export async function importCommand(_argv: string[]): Promise<void> {
  throw new Error("cosae import is not available yet");
}
