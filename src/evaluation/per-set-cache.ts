/**
 * What is computed once per evaluation set and then shared by every SAE
 * evaluated on it (the probing tasks and the raw-activation probes): kept
 * beside the set, keyed by a name and the options it depends on, and
 * dropped with the set.
 */
const caches = new WeakMap<object, Map<string, unknown>>();

export function oncePerSet<T>(set: object, name: string, options: unknown, compute: () => T): T {
  let cache = caches.get(set);
  if (!cache) {
    cache = new Map();
    caches.set(set, cache);
  }
  const key = `${name} ${JSON.stringify(options)}`;
  if (cache.has(key)) return cache.get(key) as T;
  const value = compute();
  cache.set(key, value);
  return value;
}
