/**
 * The fields every transformers config.json may hold whatever its model_type
 * (PretrainedConfig's own, v4 and v5, and a few legacy ones), sorted into
 * those that never change a decoder's forward pass and those whose value
 * cosae checks. Family fields live in each family file.
 */
import type { ConfigReader } from "./config-reader.js";

/** Fields that do not change the forward pass: names, ids, generation and output settings, dtype hints. */
export const INERT_GENERIC_FIELDS: readonly string[] = [
  // Provenance and bookkeeping.
  "_name_or_path",
  "_commit_hash",
  "transformers_version",
  // Read by the registry (model_type picks the family, architectures are checked there).
  "model_type",
  "architectures",
  // Storage and kernel choices: cosae reads each tensor's own dtype and computes in float32.
  "torch_dtype",
  "dtype",
  "use_bfloat16",
  "torchscript",
  "_attn_implementation",
  "_attn_implementation_autoset",
  "_attn_implementation_internal",
  "chunk_size_feed_forward",
  "gradient_checkpointing",
  "xla_device",
  // What the model returns, not what it computes.
  "return_dict",
  "output_hidden_states",
  "output_attentions",
  "output_scores",
  "return_dict_in_generate",
  "use_cache",
  "output_past",
  "tf_legacy_loss",
  // Token ids: the tokenizer's business (bos/eos are read there).
  "bos_token_id",
  "eos_token_id",
  "pad_token_id",
  "sep_token_id",
  "decoder_start_token_id",
  "forced_bos_token_id",
  "forced_eos_token_id",
  // Generation settings.
  "max_length",
  "min_length",
  "do_sample",
  "early_stopping",
  "num_beams",
  "num_beam_groups",
  "diversity_penalty",
  "temperature",
  "top_k",
  "top_p",
  "typical_p",
  "repetition_penalty",
  "length_penalty",
  "no_repeat_ngram_size",
  "encoder_no_repeat_ngram_size",
  "bad_words_ids",
  "num_return_sequences",
  "remove_invalid_values",
  "exponential_decay_length_penalty",
  "suppress_tokens",
  "begin_suppress_tokens",
  "task_specific_params",
  // Heads other than the language-model head, and fine-tuning labels.
  "finetuning_task",
  "id2label",
  "label2id",
  "num_labels",
  "_num_labels",
  "problem_type",
  "tokenizer_class",
  "prefix",
  // Decoder-only models: these only matter with an encoder.
  "is_decoder",
  "tie_encoder_decoder",
  "cross_attention_hidden_size",
];

const isEmptyObject = (v: unknown): boolean =>
  typeof v === "object" && v !== null && !Array.isArray(v) && Object.keys(v).length === 0;

/** Marks the inert generic fields and checks those whose value would change the model. */
export function checkGenericFields(reader: ConfigReader): void {
  reader.inert(...INERT_GENERIC_FIELDS);
  reader.expect("is_encoder_decoder", (v) => v === false, "false (cosae runs decoder-only models)");
  reader.expect(
    "add_cross_attention",
    (v) => v === false,
    "false (cross-attention layers need an encoder cosae does not run)",
  );
  reader.expect("pruned_heads", isEmptyObject, "{} (pruned attention heads are not implemented)");
  if (reader.has("quantization_config")) {
    reader.unsupported(
      "quantization_config",
      reader.raw("quantization_config"),
      "no quantization (cosae reads F32, F16 or BF16 weights)",
    );
  }
  if (reader.has("auto_map")) {
    reader.unsupported(
      "auto_map",
      reader.raw("auto_map"),
      `no custom code: cosae implements transformers' own "${reader.modelType}" modeling only`,
    );
  }
}
