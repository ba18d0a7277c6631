/**
 * Causal attention through the native addon (native/attention.cc), with the
 * JS kernel as the fallback when the addon is not built, is disabled
 * (COSAE_KERNELS=onnxruntime) or was built without attention.cc. Same
 * contract and, to float32 rounding, the same results as `causalAttention`.
 */
import { loadNativeAddon } from "../kernels/native-addon.js";
import { type AttentionShape, causalAttention } from "./causal-attention.js";

/** The addon's attention entry point (native-addon.ts does not list it: it belongs to this module). */
interface AttentionAddon {
  causalAttention(
    qkv: Float32Array,
    sequenceLengths: Int32Array,
    heads: number,
    kvHeads: number,
    headSize: number,
    scale?: number,
    softcap?: number,
    window?: number,
  ): Float32Array;
}

let cached: { addon: AttentionAddon | null; reason: string } | null = null;

/** The addon with its attention kernel, or null and why not. */
export function nativeAttentionAddon(): { addon: AttentionAddon | null; reason: string } {
  if (cached) return cached;
  const { addon, reason } = loadNativeAddon();
  const candidate = addon as unknown as Partial<AttentionAddon> | null;
  if (!candidate) cached = { addon: null, reason };
  else if (typeof candidate.causalAttention !== "function")
    cached = { addon: null, reason: "the native addon was built without attention.cc" };
  else cached = { addon: candidate as AttentionAddon, reason: "" };
  return cached;
}

/** `causalAttention` (see causal-attention.ts), native when available. */
export function fastCausalAttention(
  qkv: Float32Array,
  sequenceLengths: readonly number[] | Int32Array,
  shape: AttentionShape,
): Float32Array {
  const { addon } = nativeAttentionAddon();
  if (!addon) return causalAttention(qkv, Array.from(sequenceLengths), shape);
  const lengths = sequenceLengths instanceof Int32Array ? sequenceLengths : Int32Array.from(sequenceLengths);
  return addon.causalAttention(
    qkv,
    lengths,
    shape.heads,
    shape.kvHeads,
    shape.headSize,
    shape.scale ?? 1 / Math.sqrt(shape.headSize),
    shape.softcap ?? 0,
    shape.window ?? 0,
  );
}
