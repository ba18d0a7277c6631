/**
 * A Hugging Face `tokenizer.json` of model type BPE, of either kind:
 * byte-level (GPT-2, GPT-NeoX/Pythia, Llama 3, Qwen 2.5) or "▁"-marked with
 * byte fallback (Llama 2, Gemma). Encoding is done by Hugging Face's own
 * tokenizers.js (`@huggingface/tokenizers`), which runs the file's normalizer,
 * pre-tokenizer regexes, added tokens and merges as the Rust library does.
 * Chosen over `@lenml/tokenizers` (the same transformers.js code, 2.1 MB
 * unpacked) and over extending cosae's hand-written BPE: 0.65 MB unpacked, no
 * dependencies, maintained by Hugging Face, and as fast as the fork (about
 * 400,000 tokens/s byte-level); it reproduces the hand-written Llama-2 ids
 * exactly. cosae adds only what the library does not give: the BOS of the
 * model (prepended once, never through the post-processor), each token's
 * bytes, and refusals that name the file.
 */
import { Tokenizer as TokenizerPipeline } from "@huggingface/tokenizers";
import { byteLevelTokenBytes } from "./byte-level.js";
import { ModelFormatError } from "./model-format-error.js";
import { decodeWith, displayBytes, parseByteToken, type Tokenizer } from "./tokenizer.js";

/** SentencePiece's word-boundary marker, U+2581. */
export const METASPACE = "\u2581";

/** BOS and EOS ids from the model's config.json, which win over the tokenizer files. */
export interface TokenizerIds {
  readonly bosId?: number | undefined;
  readonly eosId?: number | undefined;
}

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === "object" && x !== null && !Array.isArray(x);
}

/** A normalizer, pre-tokenizer or decoder with its Sequence members flattened. */
function components(x: unknown): Record<string, unknown>[] {
  if (!isRecord(x)) return [];
  if (x["type"] === "Sequence") {
    const items = x["normalizers"] ?? x["pretokenizers"] ?? x["decoders"];
    return Array.isArray(items) ? items.flatMap(components) : [];
  }
  return [x];
}

/** tokenizer_config.json names special tokens as a string or as an AddedToken object. */
function tokenName(x: unknown): string | undefined {
  if (typeof x === "string") return x;
  if (isRecord(x) && typeof x["content"] === "string") return x["content"];
  return undefined;
}

export class HfTokenizer implements Tokenizer {
  readonly description: string;
  readonly vocabSize: number;
  readonly bosId: number;
  readonly eosId: number;
  private readonly pipeline: TokenizerPipeline;
  private readonly tokens: string[] = [];
  private readonly special = new Set<number>();
  /** Byte-level vocabularies store bytes as GPT-2's printable alphabet; the others store text with "▁". */
  private readonly byteLevel: boolean;

  /**
   * `json` is the parsed tokenizer.json, `config` the parsed
   * tokenizer_config.json beside it ({} when there is none), `source` the
   * path for messages, `kind` what the files are.
   */
  constructor(
    json: unknown,
    config: unknown,
    source: string,
    ids: TokenizerIds = {},
    kind = "tokenizer.json",
  ) {
    this.description = `${kind} ${source}`;
    if (!isRecord(json) || !isRecord(json["model"])) {
      throw new ModelFormatError(`${source}: expected a tokenizer.json object with a "model" field`);
    }
    const model = json["model"];
    if (model["type"] !== "BPE") {
      throw new ModelFormatError(
        `${source}: unsupported tokenizer: model.type ${JSON.stringify(model["type"])}; expected "BPE" ` +
          "(byte-level like GPT-2, Llama 3 and Qwen, or with byte fallback like Llama 2 and Gemma)",
      );
    }
    const vocab = model["vocab"];
    if (!isRecord(vocab)) throw new ModelFormatError(`${source}: model.vocab must be an object {token: id}`);
    if (!Array.isArray(model["merges"])) {
      throw new ModelFormatError(`${source}: model.merges must be an array`);
    }
    let size = 0;
    for (const [token, id] of Object.entries(vocab)) {
      if (typeof id !== "number" || !Number.isInteger(id) || id < 0) {
        throw new ModelFormatError(
          `${source}: model.vocab["${token}"] is ${JSON.stringify(id)}; expected an id`,
        );
      }
      size = Math.max(size, id + 1);
    }
    const added = json["added_tokens"] ?? [];
    if (!Array.isArray(added)) throw new ModelFormatError(`${source}: added_tokens must be an array`);
    for (const a of added) {
      if (
        !isRecord(a) ||
        !Number.isSafeInteger(a["id"]) ||
        (a["id"] as number) < 0 ||
        typeof a["content"] !== "string"
      ) {
        throw new ModelFormatError(
          `${source}: added_tokens entry ${JSON.stringify(a)}; expected {id, content}`,
        );
      }
      if (a["special"] === true) this.special.add(a["id"] as number);
      size = Math.max(size, (a["id"] as number) + 1);
    }
    const preTokenizers = components(json["pre_tokenizer"]);
    const normalizers = components(json["normalizer"]);
    HfTokenizer.refuseUnreproducedSplits(preTokenizers, normalizers, source);
    this.byteLevel = [...preTokenizers, ...components(json["decoder"])].some(
      (c) => c["type"] === "ByteLevel",
    );

    try {
      // The library reads these fields as present-or-null.
      this.pipeline = new TokenizerPipeline(
        {
          normalizer: null,
          pre_tokenizer: null,
          post_processor: null,
          decoder: null,
          added_tokens: [],
          ...json,
        },
        isRecord(config) ? config : {},
      );
    } catch (err) {
      throw new ModelFormatError(
        `${source}: unsupported tokenizer: ${err instanceof Error ? err.message : String(err)}; ` +
          "expected the components of a BPE tokenizer.json saved by Hugging Face tokenizers",
      );
    }
    for (let id = 0; id < size; id++) {
      const token = this.pipeline.id_to_token(id);
      if (token === undefined) throw new ModelFormatError(`${source}: no token has id ${id}`);
      this.tokens.push(token);
    }
    this.vocabSize = size;

    const cfg = isRecord(config) ? config : {};
    const idOf = (name: string | undefined): number | undefined =>
      name === undefined ? undefined : this.pipeline.token_to_id(name);
    // Only special tokens: Qwen's vocabulary has "<s>" as ordinary text.
    const firstOf = (...names: string[]): number | undefined =>
      names.map((n) => idOf(n)).find((id) => id !== undefined && this.special.has(id));
    // GPT-2, Pythia and Qwen have no BOS of their own: like TransformerLens, they start with <|endoftext|>.
    this.bosId =
      ids.bosId ??
      idOf(tokenName(cfg["bos_token"])) ??
      firstOf("<|begin_of_text|>", "<bos>", "<s>", "<|endoftext|>") ??
      -1;
    this.eosId =
      ids.eosId ??
      idOf(tokenName(cfg["eos_token"])) ??
      firstOf("<|end_of_text|>", "<eos>", "</s>", "<|endoftext|>") ??
      -1;
    if (ids.bosId !== undefined && (ids.bosId < 0 || ids.bosId >= size)) {
      throw new ModelFormatError(
        `${source}: the model's bos_token_id ${ids.bosId} is not a token of this ${size}-token vocabulary; ` +
          "expected the tokenizer.json the model was saved with",
      );
    }
    if (this.bosId < 0) {
      throw new ModelFormatError(
        `${source}: no BOS token found (no bos_token in tokenizer_config.json, no bos_token_id in config.json, ` +
          "none of <|begin_of_text|>, <bos>, <s>, <|endoftext|>); expected one of them",
      );
    }
    if (this.eosId >= size) {
      throw new ModelFormatError(
        `${source}: the model's eos_token_id ${this.eosId} is not a token of this ${size}-token vocabulary; ` +
          "expected the tokenizer.json the model was saved with",
      );
    }
  }

  /**
   * tokenizers.js treats every Split behavior but "Removed" as "Isolated". A
   * MergedWith… or Contiguous split is refused unless it can never match:
   * Gemma's split on " " after its normalizer has turned every " " into "▁".
   */
  private static refuseUnreproducedSplits(
    preTokenizers: Record<string, unknown>[],
    normalizers: Record<string, unknown>[],
    source: string,
  ): void {
    const spacesReplaced = normalizers.some(
      (n) =>
        n["type"] === "Replace" &&
        isRecord(n["pattern"]) &&
        n["pattern"]["String"] === " " &&
        n["content"] === METASPACE,
    );
    for (const p of preTokenizers) {
      const behavior = typeof p["behavior"] === "string" ? p["behavior"] : "Isolated";
      if (p["type"] !== "Split" || behavior === "Isolated" || behavior === "Removed") continue;
      const neverMatches = spacesReplaced && isRecord(p["pattern"]) && p["pattern"]["String"] === " ";
      if (!neverMatches) {
        throw new ModelFormatError(
          `${source}: unsupported tokenizer: pre_tokenizer Split with behavior ${JSON.stringify(behavior)} on ` +
            `${JSON.stringify(p["pattern"])}; expected "Isolated" or "Removed"`,
        );
      }
    }
  }

  encode(text: string, options: { bos?: boolean } = {}): Int32Array {
    const ids = text.length === 0 ? [] : this.pipeline.encode(text, { add_special_tokens: false }).ids;
    const bos = (options.bos ?? true) ? 1 : 0;
    const out = new Int32Array(ids.length + bos);
    if (bos === 1) out[0] = this.bosId;
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i];
      if (id === undefined || id === null || id < 0) {
        throw new ModelFormatError(
          `${this.description}: part of ${JSON.stringify(text.slice(0, 40))} has no token and the vocabulary has no <unk>`,
        );
      }
      out[i + bos] = id;
    }
    return out;
  }

  tokenBytes(id: number): Uint8Array {
    this.checkId(id);
    if (this.special.has(id)) return new Uint8Array(0);
    const token = this.tokens[id]!;
    if (this.byteLevel) return byteLevelTokenBytes(token);
    const b = parseByteToken(token);
    if (b >= 0) return Uint8Array.of(b);
    return Buffer.from(token.replaceAll(METASPACE, " "), "utf8");
  }

  tokenString(id: number): string {
    this.checkId(id);
    if (this.special.has(id)) return this.tokens[id]!;
    return displayBytes(this.tokenBytes(id));
  }

  decode(ids: ArrayLike<number>): string {
    return decodeWith(this, ids);
  }

  private checkId(id: number): void {
    if (!Number.isInteger(id) || id < 0 || id >= this.vocabSize) {
      throw new RangeError(`${this.description}: token id ${id} is outside [0, ${this.vocabSize})`);
    }
  }
}
