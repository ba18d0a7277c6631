import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
const require = createRequire("/work/wt-tok/package.json");
const { HfTokenizer } = await import("/work/wt-tok/dist/src/transformer/hf-tokenizer.js");
const l3 = (await import("llama3-tokenizer-js")).default;
const { TokenizerLoader } = await import("@lenml/tokenizers");
const gpt = await import("gpt-tokenizer/encoding/r50k_base");
const load = (m) => { const d = `/work/wt-tok/node_modules/@lenml/tokenizer-${m}/models/`; return [JSON.parse(readFileSync(d + "tokenizer.json", "utf8")), JSON.parse(readFileSync(d + "tokenizer_config.json", "utf8"))]; };
const S = ["a<|begin_of_text|>b<|end_of_text|>", "x\uD800y", "\uDC00", "<|endoftext|>", "e\u0301", " <bos> <eos><pad>", "I'M YOU'RE", "  \t\n\n  x"];
const [j3, c3] = load("llama3"); const ours3 = new HfTokenizer(j3, c3, "l3");
for (const s of S) console.log("L3", JSON.stringify(s), Array.from(ours3.encode(s, { bos: false })).join(), "|", l3.encode(s, { bos: false, eos: false }).join());
const [jg, cg] = load("gpt2"); const oursg = new HfTokenizer(jg, cg, "g");
for (const s of S) console.log("G2", JSON.stringify(s), Array.from(oursg.encode(s, { bos: false })).join(), "|", gpt.encode(s.replaceAll("<|endoftext|>","")).join());
for (const m of ["qwen3", "gemma3"]) { const [j, c] = load(m); const ours = new HfTokenizer(j, c, m); const ref = TokenizerLoader.fromPreTrained({ tokenizerJSON: load(m)[0], tokenizerConfig: c });
for (const s of S) console.log(m, JSON.stringify(s), Array.from(ours.encode(s, { bos: false })).join(), "|", ref.encode(s, { add_special_tokens: false }).join());
console.log(m, "bos", ours.bosId, ours.tokenString(ours.bosId), "eos", ours.eosId, ours.vocabSize); }
console.log("l3 bos", ours3.bosId, ours3.eosId, ours3.vocabSize, "gpt2", oursg.bosId, oursg.eosId, oursg.vocabSize);
