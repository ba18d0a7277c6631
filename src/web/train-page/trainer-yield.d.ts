// src/training/trainer.ts yields to pending signals with Node's setImmediate, only when
// given a shouldStop hook, which the page never passes. Declared so the page type-checks;
// remove once the trainer yields with a function the browser has too (setTimeout).
declare function setImmediate(callback: (value?: unknown) => void): void;
