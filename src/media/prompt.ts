/**
 * A prompt held by a media worker: G.711 bytes loaded once (usually a view on a
 * SharedArrayBuffer every worker shares) and played to any number of legs, each keeping
 * only its own offset. A leg negotiated in the other law gets a transcoded copy made on
 * first use and then shared by every leg in that law.
 */
import { ulawToAlaw, alawToUlaw } from './codecs/g711.ts';
import type { G711Codec } from './worker-protocol.ts';

export class PromptAudio {
  private other: Uint8Array | undefined;

  constructor(
    readonly codec: G711Codec,
    readonly data: Uint8Array,
  ) {}

  get byteLength(): number {
    return this.data.length;
  }

  /** The audio in `codec`; the transcoded copy is made once. */
  forCodec(codec: G711Codec): Uint8Array {
    if (codec === this.codec) return this.data;
    this.other ??= this.codec === 'PCMU' ? ulawToAlaw(this.data) : alawToUlaw(this.data);
    return this.other;
  }
}
