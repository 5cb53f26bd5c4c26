/** Minutes since midnight as "HH:MM" (past 24 h it wraps: the caller marks the next day if it matters). */
export function timeOfDay(minutes: number): string {
  return `${String(Math.floor(minutes / 60) % 24).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;
}
