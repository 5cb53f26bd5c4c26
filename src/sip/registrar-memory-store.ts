/**
 * The in-process BindingStore: a Map. Values are copied in and out so a caller holding a
 * returned array cannot change what the registrar sees, mirroring a store that serialises.
 */
import type { Binding, BindingStore } from './registrar.ts';

export class MemoryBindingStore implements BindingStore {
  private readonly map = new Map<string, readonly Binding[]>();

  async get(aor: string): Promise<Binding[]> {
    return (this.map.get(aor) ?? []).slice();
  }

  async put(aor: string, bindings: readonly Binding[]): Promise<void> {
    if (bindings.length === 0) this.map.delete(aor);
    else this.map.set(aor, Object.freeze(bindings.map((b) => Object.freeze({ ...b }))));
  }

  /** AORs with stored bindings (expired ones included until the registrar sweeps them). */
  aors(): string[] {
    return [...this.map.keys()];
  }
}
