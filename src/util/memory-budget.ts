import { totalmem } from "node:os";

/**
 * Sizes derived from user options (m, d, batch size, token counts) are checked
 * here before anything is allocated, so a typo like `--m 1e11` gets a sentence
 * naming the option instead of V8's "Invalid typed array length".
 */

/** The most elements one typed array may hold in this V8 (2^32 − 1 on 64-bit Node 20+). */
export const maxTypedArrayLength = 2 ** 32 - 1;

export function formatBytes(bytes: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value < 10 && unit > 0 ? value.toFixed(1) : Math.round(value)} ${units[unit]}`;
}

export interface AllocationRequest {
  /** what would be allocated, e.g. "the encoder W_enc [m, d]" */
  what: string;
  /** elements of the largest single array */
  largestArray: number;
  /** bytes of everything the request stands for */
  totalBytes: number;
  /** the options that set the size, e.g. "--m and the data's d" */
  options: string;
}

/**
 * Throws a clear error when the request cannot fit: an array longer than a
 * typed array may be, or more bytes than this machine's memory.
 */
export function checkAllocation(request: AllocationRequest, memory = totalmem()): void {
  const { what, largestArray, totalBytes, options } = request;
  if (!Number.isFinite(totalBytes) || !Number.isFinite(largestArray) || largestArray > maxTypedArrayLength) {
    throw new Error(
      `${what} would need an array of ${largestArray.toExponential(3)} elements, more than one array can hold ` +
        `(${maxTypedArrayLength}); lower ${options}`,
    );
  }
  if (totalBytes > memory) {
    throw new Error(
      `${what} would need ${formatBytes(totalBytes)}, more than this machine's ${formatBytes(memory)} of memory; lower ${options}`,
    );
  }
}
