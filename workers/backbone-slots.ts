/**
 * Loaded backbones with reference counts. A backbone is disposed only when nobody holds it and it is not the
 * one most recently asked for, and only once that one has loaded: so a backbone change (a new head on another
 * backbone, the cron re-embedding examples) never frees a model under a request or a training run that holds it,
 * and a request never waits for a reload of the one it just used. Normally one backbone is loaded; two only while
 * a holder of the old one is still busy.
 */
import type { LoadedBackbone } from '../shared/load-backbone.ts';

interface Slot {
  value: Promise<LoadedBackbone>;
  users: number;
  ready: boolean;
}

export class BackboneSlots {
  private readonly slots = new Map<string, Slot>();
  private latest: string | undefined;

  constructor(private readonly load: (id: string) => Promise<LoadedBackbone>) {}

  /**
   * Takes a reference on backbone `id`, loading it if needed (a failed load is forgotten, so the next call
   * retries). Every successful acquire needs exactly one `release(id)`.
   */
  async acquire(id: string): Promise<LoadedBackbone> {
    let slot = this.slots.get(id);
    if (!slot) {
      const created: Slot = { value: this.load(id), users: 0, ready: false };
      this.slots.set(id, created);
      created.value.then(
        () => {
          created.ready = true;
          this.sweep();
        },
        () => {
          if (this.slots.get(id) === created) this.slots.delete(id);
        },
      );
      slot = created;
    }
    this.latest = id;
    slot.users++;
    try {
      return await slot.value;
    } catch (error) {
      slot.users--;
      throw error;
    }
  }

  release(id: string): void {
    const slot = this.slots.get(id);
    if (!slot || slot.users === 0) return;
    slot.users--;
    if (slot.users === 0) this.sweep();
  }

  /** Ids of the backbones loaded (or loading) now, and how many holders each has: for tests and health. */
  loaded(): { id: string; users: number }[] {
    return [...this.slots].map(([id, slot]) => ({ id, users: slot.users }));
  }

  /** Disposes every idle backbone other than the latest, once the latest is ready. */
  private sweep(): void {
    if (!this.latest || !this.slots.get(this.latest)?.ready) return;
    for (const [id, slot] of this.slots) {
      if (id === this.latest || slot.users > 0 || !slot.ready) continue;
      this.slots.delete(id);
      void slot.value.then((backbone) => backbone.model.dispose());
    }
  }
}
