// A node:test reporter that writes one JSON line per finished test (name, file,
// skip reason, pass or fail), for scripts/run-tests.mjs to summarise.
export default async function* testEvents(source) {
  for await (const event of source) {
    if (event.type !== "test:pass" && event.type !== "test:fail") continue;
    const { name, file, nesting, skip, todo, details } = event.data;
    yield `${JSON.stringify({ result: event.type.slice(5), name, file, nesting, skip, todo, kind: details?.type })}\n`;
  }
}
