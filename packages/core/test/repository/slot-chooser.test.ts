import { describe, expect, it } from 'vitest';
import { SlotChooser } from '../../src/repository/slot-chooser.js';

const MiB = 1024 * 1024;

describe('SlotChooser', () => {
  it('puts a chunk of known size in the free slot touched least far that holds it', () => {
    const slots = new SlotChooser(4);
    const sizes = [4 * MiB, MiB, 2 * MiB, 0.5 * MiB];
    for (const size of sizes) slots.wrote(slots.take()!, size); // slots 0..3, in turn
    for (let i = 0; i < 4; i++) slots.release(i);
    expect(slots.take(0.9 * MiB)).toBe(1); // 1 MiB
    expect(slots.take(3 * MiB)).toBe(0); // only the 4 MiB slot holds it
    expect(slots.take(0.1 * MiB)).toBe(3); // 0.5 MiB
    expect(slots.take(3 * MiB)).toBe(2); // none holds it: the one touched farthest (2 MiB)
    expect(slots.take(MiB)).toBeUndefined();
    expect(slots.allFree).toBe(false);
  });

  it('without a size, takes the free slot touched farthest; all free again once each is released', () => {
    const slots = new SlotChooser(3);
    const [a, b, c] = [slots.take()!, slots.take()!, slots.take()!];
    slots.wrote(a, 1);
    slots.wrote(b, 3 * MiB);
    slots.wrote(c, MiB);
    slots.release(a);
    slots.release(b);
    slots.release(b); // twice: no effect
    expect(slots.take()).toBe(b);
    slots.release(b);
    slots.release(c);
    expect(slots.allFree).toBe(true);
  });
});
