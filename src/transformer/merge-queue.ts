/**
 * The merge loop of the llama2.c tokenizer's BPE: a word is a linked list of
 * symbols; candidate merges of adjacent symbols wait in a binary heap ordered
 * by priority (lower first), then by position (leftmost first) — exactly the
 * order of a "scan for the best pair, merge it, rescan" loop, in O(n log n).
 */

/**
 * Runs the merges on `ids` (the initial symbols, in order). `mergeOf(a, b)`
 * gives the merged id and its priority (lower merges first), or undefined
 * when the pair does not merge. Returns the final ids.
 */
export function mergeSymbols(
  ids: readonly number[],
  mergeOf: (left: number, right: number) => { id: number; priority: number } | undefined,
): number[] {
  const n = ids.length;
  if (n < 2) return ids.slice();
  const symbol = Int32Array.from(ids);
  const next = new Int32Array(n);
  const prev = new Int32Array(n);
  // Bumped whenever a symbol changes, so stale heap entries can be recognised.
  const version = new Int32Array(n);
  const alive = new Uint8Array(n).fill(1);
  for (let i = 0; i < n; i++) {
    next[i] = i + 1 < n ? i + 1 : -1;
    prev[i] = i - 1;
  }

  // Heap entries: priority, left position, right position, versions at push, merged id.
  const hPriority: number[] = [];
  const hLeft: number[] = [];
  const hRight: number[] = [];
  const hLeftVersion: number[] = [];
  const hRightVersion: number[] = [];
  const hMerged: number[] = [];
  const less = (a: number, b: number): boolean =>
    hPriority[a]! < hPriority[b]! || (hPriority[a] === hPriority[b] && hLeft[a]! < hLeft[b]!);
  const swap = (a: number, b: number): void => {
    for (const arr of [hPriority, hLeft, hRight, hLeftVersion, hRightVersion, hMerged]) {
      const t = arr[a]!;
      arr[a] = arr[b]!;
      arr[b] = t;
    }
  };
  const push = (left: number, right: number): void => {
    const m = mergeOf(symbol[left]!, symbol[right]!);
    if (m === undefined) return;
    let i = hPriority.length;
    hPriority.push(m.priority);
    hLeft.push(left);
    hRight.push(right);
    hLeftVersion.push(version[left]!);
    hRightVersion.push(version[right]!);
    hMerged.push(m.id);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!less(i, parent)) break;
      swap(i, parent);
      i = parent;
    }
  };
  const pop = (): void => {
    const last = hPriority.length - 1;
    swap(0, last);
    for (const arr of [hPriority, hLeft, hRight, hLeftVersion, hRightVersion, hMerged]) arr.pop();
    let i = 0;
    const size = hPriority.length;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let best = i;
      if (l < size && less(l, best)) best = l;
      if (r < size && less(r, best)) best = r;
      if (best === i) break;
      swap(i, best);
      i = best;
    }
  };

  for (let i = 0; i + 1 < n; i++) push(i, i + 1);
  while (hPriority.length > 0) {
    const left = hLeft[0]!;
    const right = hRight[0]!;
    const valid =
      alive[left] === 1 &&
      alive[right] === 1 &&
      next[left] === right &&
      version[left] === hLeftVersion[0] &&
      version[right] === hRightVersion[0];
    const merged = hMerged[0]!;
    pop();
    if (!valid) continue;
    symbol[left] = merged;
    version[left]!++;
    alive[right] = 0;
    const after = next[right]!;
    next[left] = after;
    if (after >= 0) prev[after] = left;
    if (prev[left]! >= 0) push(prev[left]!, left);
    if (after >= 0) push(left, after);
  }
  const out: number[] = [];
  for (let i = 0; i >= 0; i = next[i]!) out.push(symbol[i]!);
  return out;
}
