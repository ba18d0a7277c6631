import type { TensorEntry } from "./safetensors.js";

/**
 * A tensor of an SAE weights file, checked against the shape its config implies
 * and for NaN/Inf, converted by `convert`. `[]` (a scalar) also accepts [1].
 * Errors name the file, the tensor, and what was expected from `configName`.
 */
export function checkedTensor<T extends Float32Array | Float64Array>(
  tensors: Record<string, TensorEntry>,
  name: string,
  shape: readonly number[],
  where: string,
  configName: string,
  convert: (entry: TensorEntry) => T,
): T {
  const t = tensors[name];
  if (!t) throw new Error(`${where}: missing tensor "${name}" (expected shape [${shape}])`);
  const scalarAsVector = shape.length === 0 && t.shape.length === 1 && t.shape[0] === 1;
  if (!scalarAsVector && (t.shape.length !== shape.length || t.shape.some((s, i) => s !== shape[i]))) {
    throw new Error(
      `${where}: tensor "${name}" has shape [${t.shape}], expected [${shape}] from ${configName}`,
    );
  }
  const data = convert(t);
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i]!))
      throw new Error(`${where}: tensor "${name}" holds ${data[i]} at index ${i}`);
  }
  return data;
}
