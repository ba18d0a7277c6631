/**
 * Learning rate at 0-based `step`: linear warm-up over `warmupSteps`, constant,
 * then linear decay to zero over the last `decayFraction` of the steps.
 */
export function learningRate(
  step: number,
  steps: number,
  peak: number,
  warmupSteps: number,
  decayFraction: number,
): number {
  const warm = warmupSteps > 0 ? Math.min(1, (step + 1) / warmupSteps) : 1;
  const decaySteps = Math.floor(steps * decayFraction);
  const decayStart = steps - decaySteps;
  const decay = decaySteps > 0 && step >= decayStart ? (steps - step) / (decaySteps + 1) : 1;
  return peak * warm * decay;
}
