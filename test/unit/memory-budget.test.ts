import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, ISOLATE_MEMORY_BUDGET, parseServiceConfig } from '../../shared/config.ts';
import { ConfigError } from '../../shared/errors.ts';

describe('isolate memory budget', () => {
  it('adds up to less than the 128 MB isolate limit', () => {
    const { isolateBytes, ...parts } = ISOLATE_MEMORY_BUDGET;
    const sum = Object.values(parts).reduce((a, b) => a + b, 0);
    expect(sum).toBeLessThan(isolateBytes);
    expect(isolateBytes).toBe(128_000_000);
  });

  it('gives the per-request decode budget as MAX_DECODE_BYTES, defaulting to the budget line', () => {
    expect(parseServiceConfig({}).maxDecodeBytes).toBe(ISOLATE_MEMORY_BUDGET.decodeBytes);
    expect(DEFAULT_CONFIG.maxDecodeBytes).toBe(16 * 2 ** 20);
    expect(parseServiceConfig({ MAX_DECODE_BYTES: '8000000' }).maxDecodeBytes).toBe(8_000_000);
    expect(() => parseServiceConfig({ MAX_DECODE_BYTES: '-1' })).toThrow(ConfigError);
  });

  it('lets one upload of the largest accepted size fit the upload line', () => {
    expect(DEFAULT_CONFIG.maxImageBytes).toBeLessThanOrEqual(ISOLATE_MEMORY_BUDGET.uploadBytesInFlight);
  });
});
