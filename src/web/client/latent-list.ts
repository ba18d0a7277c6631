import type { LatentTable } from "../../features/latent-record.js";
import { h, replaceChildren } from "./dom.js";
import { fixed2, percent } from "./format.js";
import { type Column, LatentRows, type RowFilter, type SortOrder } from "./latent-rows.js";

/** Row height in pixels: fixed, so row i sits at i·ROW_HEIGHT and only the visible rows need nodes. */
export const ROW_HEIGHT = 24;
/** rows drawn above and below the visible ones, so fast scrolling shows no gaps */
const OVERSCAN = 12;

const columns: { key: Column; title: string; label: string; numeric: boolean }[] = [
  { key: "latent", title: "latent", label: "latent number", numeric: true },
  { key: "frequency", title: "freq", label: "share of tokens it fires on", numeric: true },
  { key: "alpha", title: "α", label: "magnitude dependence α", numeric: true },
  { key: "normAuroc", title: "AUROC", label: "AUROC of the token norm for firing", numeric: true },
  { key: "bestConcept", title: "best concept", label: "best concept by F1", numeric: false },
  { key: "bestF1", title: "F1", label: "F1 of the best concept", numeric: true },
  { key: "topTokens", title: "top tokens", label: "tokens it fires on most", numeric: false },
];

/**
 * The latent list: a sortable, searchable table whose body is virtual: a
 * spacer as tall as all matching rows, and nodes for only the rows in view.
 */
export class LatentList {
  readonly element: HTMLElement;
  private readonly rows: LatentRows;
  private order: SortOrder = { column: "frequency", descending: true };
  private filter: RowFilter = { query: "", hideDead: false, normDetectorsOnly: false };
  private shown: Int32Array;
  private selected: number | null = null;
  private readonly body: HTMLDivElement;
  private readonly spacer: HTMLDivElement;
  private readonly count: HTMLSpanElement;
  private readonly headers = new Map<Column, HTMLElement>();
  private frame = 0;

  constructor(
    table: LatentTable,
    name: string,
    /** `stepping`: moved to by ↑/↓ rather than clicked (the page then keeps no history entry per step) */
    private readonly onSelect: (latent: number, stepping: boolean) => void,
  ) {
    this.rows = new LatentRows(table);
    this.shown = this.rows.view(this.order, this.filter);
    const search = h("input", {
      class: "search",
      attrs: {
        type: "search",
        placeholder: "latent, concept or token",
        "aria-label": `search ${name}'s latents`,
      },
      on: { input: () => this.setFilter({ query: search.value }) },
    });
    const toggle = (label: string, key: "hideDead" | "normDetectorsOnly") => {
      const box = h("input", {
        attrs: { type: "checkbox" },
        on: { change: () => this.setFilter({ [key]: box.checked }) },
      });
      return h("label", { class: "toggle" }, box, label);
    };
    this.count = h("span", { class: "list-count", attrs: { "aria-live": "polite" } });
    const head = h(
      "div",
      { class: "list-row list-head", attrs: { role: "row" } },
      ...columns.map((c) => {
        const cell = h(
          "div",
          { class: `cell c-${c.key}`, attrs: { role: "columnheader" } },
          h(
            "button",
            {
              class: "sort",
              attrs: { type: "button", title: `sort by ${c.label}` },
              on: { click: () => this.sortBy(c) },
            },
            c.title,
            // the arrow is drawn, not named: aria-sort on the header says it to screen readers
            h("span", { class: "sort-mark", attrs: { "aria-hidden": "true" } }),
          ),
        );
        this.headers.set(c.key, cell);
        return cell;
      }),
    );
    this.spacer = h("div", { class: "list-spacer", attrs: { role: "rowgroup" } });
    this.body = h(
      "div",
      {
        class: "list-body",
        attrs: {
          tabindex: 0,
          role: "grid",
          "aria-label": `latents of ${name}`,
          "aria-colcount": columns.length,
        },
        on: { scroll: () => this.schedule(), keydown: (e) => this.onKey(e) },
      },
      h("div", { class: "list-sticky", attrs: { role: "rowgroup" } }, head),
      this.spacer,
    );
    this.spacer.addEventListener("click", (e) => {
      const row = (e.target as Element).closest<HTMLElement>(".list-row");
      if (row?.dataset.latent !== undefined) this.choose(Number(row.dataset.latent), false);
    });
    this.element = h(
      "section",
      { class: "latent-list", attrs: { "aria-label": `${name}: latent list` } },
      h(
        "div",
        { class: "list-controls" },
        search,
        toggle("hide dead", "hideDead"),
        toggle("norm detectors only", "normDetectorsOnly"),
        this.count,
      ),
      this.body,
    );
    new ResizeObserver(() => this.schedule()).observe(this.body);
    this.refresh();
  }

  /** Marks `latent` as the open one and scrolls it into view (without calling onSelect). */
  select(latent: number | null): void {
    this.selected = latent;
    if (latent !== null) this.scrollToLatent(latent);
    this.draw();
  }

  private setFilter(change: Partial<RowFilter>): void {
    this.filter = { ...this.filter, ...change };
    this.body.scrollTop = 0;
    this.refresh();
  }

  private sortBy(c: (typeof columns)[number]): void {
    this.order =
      this.order.column === c.key
        ? { column: c.key, descending: !this.order.descending }
        : { column: c.key, descending: c.numeric && c.key !== "latent" };
    this.body.scrollTop = 0;
    this.refresh();
  }

  private refresh(): void {
    this.shown = this.rows.view(this.order, this.filter);
    this.spacer.style.height = `${this.shown.length * ROW_HEIGHT}px`;
    this.body.setAttribute("aria-rowcount", String(this.shown.length + 1));
    this.count.textContent = `${this.shown.length} of ${this.rows.m}`;
    for (const [key, cell] of this.headers) {
      const sorted = key === this.order.column;
      cell.setAttribute("aria-sort", sorted ? (this.order.descending ? "descending" : "ascending") : "none");
      cell.classList.toggle("sorted", sorted);
      cell.querySelector(".sort-mark")!.textContent = sorted ? (this.order.descending ? " ▼" : " ▲") : "";
    }
    this.draw();
  }

  private schedule(): void {
    if (this.frame === 0)
      this.frame = requestAnimationFrame(() => {
        this.frame = 0;
        this.draw();
      });
  }

  /** Builds nodes for the rows in view (plus overscan) only. */
  private draw(): void {
    const top = Math.max(0, this.body.scrollTop - this.headerHeight());
    const height = this.body.clientHeight || 600;
    const first = Math.max(0, Math.floor(top / ROW_HEIGHT) - OVERSCAN);
    const last = Math.min(this.shown.length, Math.ceil((top + height) / ROW_HEIGHT) + OVERSCAN);
    const t = this.rows.table;
    const nodes: HTMLElement[] = [];
    for (let i = first; i < last; i++) {
      const j = this.shown[i]!;
      const row = h(
        "div",
        {
          class: `list-row${t.frequency[j] === 0 ? " dead" : ""}${j === this.selected ? " selected" : ""}`,
          attrs: {
            role: "row",
            "aria-rowindex": i + 2,
            "aria-selected": String(j === this.selected),
            "data-latent": j,
          },
        },
        cell("latent", String(j)),
        cell("frequency", percent(t.frequency[j]!)),
        cell("alpha", fixed2(t.alpha[j])),
        cell(
          "normAuroc",
          fixed2(t.normAuroc[j]),
          t.normDetector[j]
            ? h("span", { class: "badge norm", attrs: { title: "norm detector" } }, "N")
            : null,
        ),
        cell("bestConcept", t.bestConcept[j] ?? "–"),
        cell("bestF1", t.bestConcept[j] === null ? "–" : fixed2(t.bestF1[j])),
        cell("topTokens", visibleLines(t.topTokens[j] ?? "")),
      );
      row.style.top = `${i * ROW_HEIGHT}px`;
      nodes.push(row);
    }
    replaceChildren(this.spacer, ...nodes);
  }

  private headerHeight(): number {
    return (this.body.firstElementChild as HTMLElement | null)?.offsetHeight ?? 0;
  }

  private scrollToLatent(latent: number): void {
    const i = this.shown.indexOf(latent);
    if (i < 0) return;
    const top = i * ROW_HEIGHT;
    const view = this.body.clientHeight - this.headerHeight();
    if (top < this.body.scrollTop) this.body.scrollTop = top;
    else if (top + ROW_HEIGHT > this.body.scrollTop + view) this.body.scrollTop = top + ROW_HEIGHT - view;
  }

  /** `scroll` is true for keyboard moves: they bring the row into view and count as stepping. */
  private choose(latent: number, scroll: boolean): void {
    this.selected = latent;
    if (scroll) this.scrollToLatent(latent);
    this.draw();
    this.onSelect(latent, scroll);
  }

  /** ↑/↓ (and Page Up/Down, Home/End) move through the shown rows and open the latent. */
  private onKey(e: KeyboardEvent): void {
    const page = Math.max(1, Math.floor(this.body.clientHeight / ROW_HEIGHT) - 2);
    const steps: Record<string, number> = { ArrowDown: 1, ArrowUp: -1, PageDown: page, PageUp: -page };
    const n = this.shown.length;
    if (n === 0) return;
    const at = this.selected === null ? -1 : this.shown.indexOf(this.selected);
    let next: number;
    if (e.key in steps) next = at < 0 ? 0 : at + steps[e.key]!;
    else if (e.key === "Home") next = 0;
    else if (e.key === "End") next = n - 1;
    else return;
    e.preventDefault();
    this.choose(this.shown[Math.min(n - 1, Math.max(0, next))]!, true);
  }
}

/** Newlines and tabs as marks, so a row stays one line (spaces stay: the cell keeps them). */
function visibleLines(text: string): string {
  return text.replace(/\n/g, "↵").replace(/\t/g, "⇥");
}

function cell(column: Column, text: string, extra: HTMLElement | null = null): HTMLElement {
  return h("div", { class: `cell c-${column}`, attrs: { role: "gridcell", title: text } }, text, extra);
}
