/**
 * Test helper: what a listener would measure in decoded G.711 — the power of one
 * frequency (Goertzel), RMS level in dBFS, and zero-crossing frequency.
 */

/** Normalised power of `hz` in the samples (Goertzel); comparable across frequencies of one segment. */
export function goertzel(pcm: Int16Array, hz: number, sampleRate = 8000): number {
  const w = (2 * Math.PI * hz) / sampleRate;
  const c = 2 * Math.cos(w);
  let s1 = 0;
  let s2 = 0;
  for (const x of pcm) {
    const s0 = x / 32768 + c * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  return (s1 * s1 + s2 * s2 - c * s1 * s2) / (pcm.length * pcm.length);
}

export function rmsDbfs(pcm: Int16Array): number {
  let sum = 0;
  for (const x of pcm) sum += (x / 32768) ** 2;
  return 10 * Math.log10(sum / pcm.length);
}

export function peakDbfs(pcm: Int16Array): number {
  let peak = 0;
  for (const x of pcm) peak = Math.max(peak, Math.abs(x));
  return 20 * Math.log10(peak / 32768);
}

/** Frequency from sign changes (a pure tone crosses zero twice a period). */
export function zeroCrossingHz(pcm: Int16Array, sampleRate = 8000): number {
  let crossings = 0;
  for (let i = 1; i < pcm.length; i++) if ((pcm[i - 1]! < 0) !== (pcm[i]! < 0)) crossings++;
  return (crossings / 2) * (sampleRate / pcm.length);
}
