import type { LatentTable } from "../../features/latent-record.js";
import { api } from "./api.js";
import { h, replaceChildren } from "./dom.js";
import { LatentList } from "./latent-list.js";
import { type LatentViewLinks, latentView } from "./latent-view.js";

export interface PaneOptions extends Omit<LatentViewLinks, "open"> {
  index: number;
  /** "a" or "b": the pane's name in the URL hash and on the page */
  key: string;
  /** the user opened a latent here (the page records it in the URL; `stepping` replaces the last entry) */
  opened: (pane: number, latent: number, stepping: boolean) => void;
}

/** One SAE's column: its latent list and the open latent's view. */
export class Pane {
  readonly element: HTMLElement;
  table: LatentTable | null = null;
  /** the latent shown (or being loaded) */
  current: number | null = null;
  private list: LatentList | null = null;
  private readonly listSlot: HTMLElement;
  private readonly view: HTMLElement;
  private loading: AbortController | null = null;

  constructor(private readonly options: PaneOptions) {
    const { overview, key } = options;
    this.listSlot = h("div", { class: "list-slot" }, h("p", { class: "loading" }, "Loading latents…"));
    this.view = h(
      "div",
      { class: "view-slot", attrs: { "aria-live": "polite" } },
      h("p", { class: "placeholder" }, "Pick a latent from the list, or use ↑/↓ in it."),
    );
    this.element = h(
      "section",
      { class: "pane", attrs: { "data-pane": key, "aria-label": `SAE ${key}: ${overview.label}` } },
      h("h2", { class: "pane-title" }, h("span", { class: "pane-key" }, key), overview.label),
      h("div", { class: "pane-body" }, this.listSlot, this.view),
    );
  }

  /** Fetches the latent table and builds the list. */
  async load(): Promise<void> {
    try {
      const { table } = await api.table(this.options.index);
      this.table = table;
      this.list = new LatentList(table, this.options.overview.label, (latent, stepping) =>
        this.choose(latent, stepping),
      );
      replaceChildren(this.listSlot, this.list.element);
      if (this.current !== null) this.list.select(this.current);
    } catch (e) {
      replaceChildren(this.listSlot, failure(`Could not load the latent list: ${(e as Error).message}`));
    }
  }

  /** Opened by the user here: show it and let the page record it. */
  choose(latent: number, stepping = false): void {
    void this.open(latent);
    this.options.opened(this.options.index, latent, stepping);
  }

  /** Shows `latent` (a no-op when it is already shown); an earlier load still running is abandoned. */
  async open(latent: number): Promise<void> {
    if (latent === this.current) return;
    this.current = latent;
    this.list?.select(latent);
    this.loading?.abort();
    const controller = new AbortController();
    this.loading = controller;
    this.view.classList.add("busy");
    this.view.setAttribute("aria-busy", "true");
    try {
      const record = await api.latent(this.options.index, latent, controller.signal);
      if (controller.signal.aborted) return;
      replaceChildren(this.view, latentView(record, { ...this.options, open: (j) => this.choose(j) }));
      this.view.scrollTop = 0;
    } catch (e) {
      if (controller.signal.aborted) return;
      replaceChildren(this.view, failure(`Could not load latent ${latent}: ${(e as Error).message}`));
    } finally {
      if (this.loading === controller) {
        this.view.classList.remove("busy");
        this.view.removeAttribute("aria-busy");
        this.element.dataset.loaded = String(latent);
      }
    }
  }
}

function failure(message: string): HTMLElement {
  return h("p", { class: "error", attrs: { role: "alert" } }, message);
}
