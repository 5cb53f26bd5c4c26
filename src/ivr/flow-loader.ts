/**
 * The published flow a new call runs. Versions are immutable, so a parsed version is
 * cached for good per flow id + version (validated once, not per call); which version is
 * published is asked of the store, remembered for a second (other nodes publish too) and
 * forgotten at once when this node publishes (flowPublished). A call keeps the version it
 * started with: it holds the parsed flow, not the pointer.
 */
import type { Clock } from '../clock.ts';
import type { Flow } from '../flows/schema.ts';
import { validateFlow } from '../flows/validate.ts';

export interface PublishedSource {
  published(tenantId: string, ref: string): Promise<{ flowId: string; name: string; version: number; document: unknown } | undefined>;
}

export interface LoadedFlow {
  readonly flowId: string;
  readonly name: string;
  readonly version: number;
  readonly flow: Flow;
}

export class FlowLoadError extends Error {
  override readonly name = 'FlowLoadError';
}

export class FlowLoader {
  private readonly parsed = new Map<string, LoadedFlow>();
  private readonly pointers = new Map<string, { at: number; value: Promise<LoadedFlow | undefined> }>();

  constructor(
    private readonly source: PublishedSource,
    private readonly clock: Clock,
    private readonly pointerTtlMs = 1000,
  ) {}

  /** The published version of a flow (id or name) in a tenant; undefined when never published. */
  published(tenantId: string, ref: string): Promise<LoadedFlow | undefined> {
    const k = `${tenantId}\u0000${ref}`;
    const now = this.clock.now();
    const held = this.pointers.get(k);
    if (held && now - held.at < this.pointerTtlMs) return held.value;
    const value = this.fetch(tenantId, ref);
    this.pointers.set(k, { at: now, value });
    value.catch(() => this.pointers.delete(k));
    return value;
  }

  /** Forget which versions are published (this node published or rolled back a flow). */
  dropPointers(tenantId: string): void {
    for (const k of this.pointers.keys()) if (k.startsWith(`${tenantId}\u0000`)) this.pointers.delete(k);
  }

  get cachedVersions(): number {
    return this.parsed.size;
  }

  private async fetch(tenantId: string, ref: string): Promise<LoadedFlow | undefined> {
    const p = await this.source.published(tenantId, ref);
    if (!p) return undefined;
    const k = `${p.flowId}@${p.version}`;
    const hit = this.parsed.get(k);
    if (hit) return hit;
    const v = validateFlow(p.document);
    // The store only keeps valid documents; a failure here means the validator changed.
    if (!v.ok) throw new FlowLoadError(`flow ${p.name} v${p.version} no longer validates: ${v.problems.map((x) => `${x.path}: ${x.message}`).join('; ')}`);
    const loaded: LoadedFlow = { flowId: p.flowId, name: p.name, version: p.version, flow: v.flow };
    this.parsed.set(k, loaded);
    return loaded;
  }
}

/** Announcement slots a flow reads (primed before the call reaches them). */
export function slotsOf(flow: Flow): string[] {
  const out = new Set<string>();
  for (const node of Object.values(flow.nodes)) if (node.type === 'announcement') out.add(node.slot);
  return [...out];
}

/** Static prompt texts of a flow (no {{variables}}), to render before callers need them. */
export function staticTexts(flow: Flow): { text: string; voice?: string }[] {
  const out: { text: string; voice?: string }[] = [];
  const add = (p: { text?: string | undefined; voice?: string | undefined } | undefined): void => {
    if (p?.text !== undefined && !p.text.includes('{{')) out.push(p.voice !== undefined ? { text: p.text, voice: p.voice } : { text: p.text });
  };
  for (const node of Object.values(flow.nodes)) {
    if ('prompt' in node) add(node.prompt);
    if (node.type === 'menu') add(node.invalidPrompt);
  }
  return out;
}
