/** HTML escaping and element builders: every report string goes through here. */

const ENTITIES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

/** Text made safe for element content and quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ENTITIES[c]!);
}

export type AttrValue = string | number | boolean | null | undefined;
export type Attrs = Record<string, AttrValue>;

/** Numbers in attributes keep two decimals: enough for SVG coordinates, short to read. */
function attrNumber(v: number): string {
  const r = Math.round(v * 100) / 100;
  return String(Object.is(r, -0) ? 0 : r);
}

/** ` name="value"` pairs, values escaped; null, undefined and false are left out, true is a bare name. */
export function attrs(a: Attrs): string {
  let out = "";
  for (const [name, v] of Object.entries(a)) {
    if (v === null || v === undefined || v === false) continue;
    if (v === true) out += ` ${name}`;
    else out += ` ${name}="${escapeHtml(typeof v === "number" ? attrNumber(v) : v)}"`;
  }
  return out;
}

/** An element around children that are already HTML. */
export function tag(name: string, a: Attrs, ...children: string[]): string {
  return `<${name}${attrs(a)}>${children.join("")}</${name}>`;
}

/** An element around plain text, escaped. */
export function textTag(name: string, a: Attrs, text: string): string {
  return `<${name}${attrs(a)}>${escapeHtml(text)}</${name}>`;
}

/** A self-closing element (SVG shapes). */
export function emptyTag(name: string, a: Attrs): string {
  return `<${name}${attrs(a)}/>`;
}
