/**
 * Whether `name`, read from a file that lists others (a dataset manifest, a
 * Hugging Face weight index), names a file directly inside that file's folder:
 * not empty, no folder separators (so neither `../x` nor an absolute path), and
 * not hidden (which also excludes `.` and `..`). Following any other name would
 * let a downloaded folder make cosae read files outside it.
 */
export function isPlainFileName(name: unknown): name is string {
  return (
    typeof name === "string" &&
    name !== "" &&
    !name.includes("/") &&
    !name.includes("\\") &&
    !name.startsWith(".") &&
    !name.includes("\0")
  );
}
