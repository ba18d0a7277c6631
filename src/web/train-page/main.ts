/**
 * The training page (cosae serve --train): a form for a small SAE, a Start
 * button, then the run in this tab — the live loss and FVU against the step,
 * L0, dead fraction, α, tokens/s, the adapter — and at the end the final FVU
 * and the trained SAE folder's files to download. `#app[data-state]` says
 * where it is (loading, ready, running, done, failed), for people and tests.
 */
import { scoreKinds } from "../../kernels/score-family.js";
import {
  type ResolvedTrainConfig,
  resolveTrainConfig,
  validateTrainConfig,
} from "../../training/train-config.js";
import type { StepMetrics } from "../../training/trainer.js";
import { type Child, h, replaceChildren } from "../client/dom.js";
import { figure, percent } from "../client/format.js";
import type { TrainingDataMeta } from "../training-api.js";
import { FetchedActivationSource } from "./fetched-source.js";
import { lineChart } from "./line-chart.js";
import { type DownloadFile, metricsFile, saeFolderFiles } from "./sae-download.js";
import { offeredAdapter, openTabKernels, type TabKernelChoice } from "./tab-kernels.js";
import { trainInTab } from "./train-in-tab.js";

/** Small enough to finish in seconds on SwiftShader (a CPU emulating a GPU). */
const formDefaults = { m: 64, k: 4, score: "cosine", batchSize: 128, steps: 100, lr: "", seed: 0 } as const;

type State = "loading" | "ready" | "running" | "done" | "failed";

function numberField(name: string, label: string, value: number | string, help: string): HTMLElement {
  return h(
    "label",
    { class: "train-field" },
    h("span", null, label),
    h("input", {
      attrs: {
        name,
        type: "text",
        inputmode: "decimal",
        value: String(value),
        title: help,
        "aria-label": label,
      },
    }),
  );
}

function selectField(name: string, label: string, options: readonly string[], value: string): HTMLElement {
  return h(
    "label",
    { class: "train-field" },
    h("span", null, label),
    h(
      "select",
      { attrs: { name, "aria-label": label } },
      ...options.map((o) => h("option", { attrs: { value: o, selected: o === value } }, o)),
    ),
  );
}

/** The form's values as a training config, checked by the same rules as cosae train's flags. */
function configFrom(form: HTMLFormElement, meta: TrainingDataMeta): ResolvedTrainConfig {
  const data = new FormData(form);
  const text = (name: string) => String(data.get(name) ?? "").trim();
  const number = (name: string) => {
    const value = text(name);
    if (!/^[0-9.eE+-]+$/.test(value)) throw new Error(`${name}: expected a number, got "${value}"`);
    return Number(value);
  };
  const input: Record<string, unknown> = {
    m: number("m"),
    k: number("k"),
    score: text("score"),
    batchSize: number("batchSize"),
    steps: number("steps"),
    seed: number("seed"),
    // every step is plotted
    logEvery: 1,
  };
  if (text("lr") !== "") input.lr = number("lr");
  const config = resolveTrainConfig(validateTrainConfig(input, "the form"), meta.d);
  if (config.batchSize > meta.maxBatchRows)
    throw new Error(
      `batch size ${config.batchSize} is over the server's cap of ${meta.maxBatchRows} rows a batch (d = ${meta.d}); lower it`,
    );
  return config;
}

/** Download links for files made in the tab (blob: URLs, revoked when the next run replaces them). */
function downloadLinks(files: readonly DownloadFile[]): HTMLElement {
  return h(
    "p",
    { class: "train-downloads" },
    "Download: ",
    ...files.flatMap((f, i) => [
      i > 0 ? " · " : null,
      h("a", { attrs: { href: URL.createObjectURL(f.blob), download: f.name } }, f.name),
    ]),
  );
}

function fact(label: string, key: string, value: Child = "–"): HTMLElement {
  return h("div", null, h("dt", null, label), h("dd", { attrs: { "data-metric": key } }, value));
}

async function start(app: HTMLElement): Promise<void> {
  const setState = (state: State) => {
    app.dataset.state = state;
  };
  setState("loading");
  let meta: TrainingDataMeta;
  try {
    const response = await fetch("/api/train/meta");
    if (!response.ok) throw new Error(`the server answered ${response.status}`);
    meta = (await response.json()) as TrainingDataMeta;
  } catch (e) {
    replaceChildren(
      app,
      h(
        "p",
        { class: "error", attrs: { role: "alert" } },
        `Could not reach the server: ${(e as Error).message}`,
      ),
    );
    setState("failed");
    return;
  }

  const offered = await offeredAdapter();
  const startButton = h("button", { attrs: { type: "submit", id: "start" } }, "Start");
  const form = h(
    "form",
    { class: "train-form", attrs: { id: "train-form" } },
    numberField("m", "latents m", formDefaults.m, "number of latents"),
    numberField("k", "k", formDefaults.k, "mean active latents per token"),
    selectField("score", "score", scoreKinds, formDefaults.score),
    numberField("batchSize", "batch size B", formDefaults.batchSize, "tokens per step"),
    numberField("steps", "steps", formDefaults.steps, "optimizer steps"),
    numberField("lr", "lr", formDefaults.lr, "peak learning rate (blank: 2e-4/√(m/16384))"),
    numberField("seed", "seed", formDefaults.seed, "seeds the initialisation and the data shuffle"),
    selectField("kernels", "kernels", ["webgpu", "cpu"], offered ? "webgpu" : "cpu"),
    startButton,
  );
  const adapter = h(
    "span",
    { attrs: { id: "adapter" } },
    offered ?? "none (no WebGPU here: the CPU kernels train in the tab)",
  );
  const message = h("div", { attrs: { id: "message", role: "status" } });
  const progress = h(
    "dl",
    { class: "facts train-progress", attrs: { id: "progress" } },
    fact("step", "step"),
    fact("loss", "loss"),
    fact("FVU", "fvu"),
    fact("L0", "l0"),
    fact("dead", "deadFraction"),
    fact("α", "alpha"),
    fact("tokens/s", "tokensPerSecond"),
  );
  const charts = h("div", { class: "charts train-charts", attrs: { id: "charts" } });
  const result = h("div", { attrs: { id: "result" } });
  replaceChildren(
    app,
    h(
      "header",
      { class: "page-header" },
      h("h1", null, "cosae · train an SAE in this tab"),
      h("p", { class: "note" }, `data: ${meta.dataset} · d = ${meta.d} · adapter: `, adapter),
    ),
    form,
    message,
    progress,
    charts,
    result,
  );
  setState("ready");

  let links: string[] = [];
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    if (app.dataset.state === "running") return;
    for (const url of links) URL.revokeObjectURL(url);
    links = [];
    void run();
  });

  async function run(): Promise<void> {
    replaceChildren(message);
    replaceChildren(result);
    replaceChildren(charts);
    let config: ResolvedTrainConfig;
    try {
      config = configFrom(form, meta);
    } catch (e) {
      replaceChildren(message, h("p", { class: "error", attrs: { role: "alert" } }, (e as Error).message));
      return;
    }
    setState("running");
    startButton.disabled = true;
    const metrics: StepMetrics[] = [];
    const choice = String(new FormData(form).get("kernels")) as TabKernelChoice;
    let opened: Awaited<ReturnType<typeof openTabKernels>> | null = null;
    try {
      opened = await openTabKernels(choice);
      adapter.textContent = opened.adapter ?? "none (CPU kernels in the tab)";
      replaceChildren(message, h("p", { class: "note" }, `Initialising from ${config.initTokens} tokens…`));
      const source = new FetchedActivationSource(meta, config.seed);
      const started = performance.now();
      const { sae } = await trainInTab({
        config,
        source,
        kernels: opened.kernels,
        onStarted: () =>
          replaceChildren(message, h("p", { class: "note" }, `Training on ${opened!.kernels.name}…`)),
        onMetrics: (m) => {
          metrics.push(m);
          show(m, config.steps);
        },
      });
      const seconds = (performance.now() - started) / 1000;
      const last = metrics[metrics.length - 1]!;
      const files = [
        ...saeFolderFiles(sae, { data: source.description, train: config, kernels: opened.kernels.name }),
        metricsFile(metrics),
      ];
      const list = downloadLinks(files);
      links = [...list.querySelectorAll("a")].map((a) => a.href);
      replaceChildren(
        result,
        h(
          "p",
          { class: "train-final", attrs: { id: "final", "data-final-fvu": String(last.fvu) } },
          `Final FVU ${figure(last.fvu, 4)} after ${last.step} steps (${last.tokens} tokens, ${seconds.toFixed(1)} s).`,
        ),
        list,
      );
      replaceChildren(message);
      setState("done");
    } catch (e) {
      replaceChildren(message, h("p", { class: "error", attrs: { role: "alert" } }, (e as Error).message));
      setState("failed");
    } finally {
      startButton.disabled = false;
      await opened?.kernels.dispose();
    }

    function show(m: StepMetrics, steps: number): void {
      const set = (key: string, text: string) => {
        const dd = progress.querySelector(`[data-metric="${key}"]`);
        if (dd) dd.textContent = text;
      };
      set("step", `${m.step} / ${steps}`);
      set("loss", figure(m.loss, 4));
      set("fvu", figure(m.fvu, 4));
      set("l0", figure(m.l0));
      set("deadFraction", percent(m.deadFraction));
      set("alpha", m.alpha === null ? "–" : figure(m.alpha));
      set("tokensPerSecond", figure(m.tokensPerSecond));
      const stepsSoFar = metrics.map((x) => x.step);
      replaceChildren(
        charts,
        lineChart(
          stepsSoFar,
          metrics.map((x) => x.loss),
          { x: "step", y: "loss", title: "training loss" },
        ),
        lineChart(
          stepsSoFar,
          metrics.map((x) => x.fvu),
          { x: "step", y: "FVU", title: "batch FVU" },
        ),
      );
    }
  }
}

const app = document.getElementById("app");
if (app) void start(app);
