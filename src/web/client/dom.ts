/**
 * DOM building without HTML strings. Token strings and concept names come from
 * data and are untrusted: they only ever become text nodes or attribute
 * values, never markup (the page has no innerHTML anywhere).
 */

export type Child = Node | string | number | null | undefined | false;

export interface Props {
  class?: string;
  /** attributes, set with setAttribute (values are text, not markup) */
  attrs?: Record<string, string | number | boolean | null | undefined>;
  on?: { [K in keyof HTMLElementEventMap]?: (event: HTMLElementEventMap[K]) => void };
}

function append(parent: Node, children: Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    parent.appendChild(typeof child === "object" ? child : document.createTextNode(String(child)));
  }
}

function setAttributes(el: Element, attrs: Props["attrs"]): void {
  for (const [name, value] of Object.entries(attrs ?? {})) {
    if (value === null || value === undefined || value === false) continue;
    el.setAttribute(name, value === true ? "" : String(value));
  }
}

/** An HTML element with a class, attributes, listeners and children. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Props | null = null,
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  if (props?.class) el.className = props.class;
  setAttributes(el, props?.attrs);
  for (const [type, listener] of Object.entries(props?.on ?? {}))
    el.addEventListener(type, listener as EventListener);
  append(el, children);
  return el;
}

const svgNamespace = "http://www.w3.org/2000/svg";

/** An SVG element with attributes and children. */
export function s<K extends keyof SVGElementTagNameMap>(
  tag: K,
  attrs: Props["attrs"] = {},
  ...children: Child[]
): SVGElementTagNameMap[K] {
  const el = document.createElementNS(svgNamespace, tag);
  setAttributes(el, attrs);
  append(el, children);
  return el;
}

/** Replaces an element's children. */
export function replaceChildren(el: Element, ...children: Child[]): void {
  el.replaceChildren();
  append(el, children);
}
