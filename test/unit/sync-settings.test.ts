import { describe, expect, it } from 'vitest';
import { SettingsCacheConfigError, settingsCacheSeconds } from '#adapters/dynamodb/settings-repository.js';
import { parseOrThrow, settingsUpdateBody } from '#contracts/api-schemas.js';
import { type AppSettings, settingsFromStored } from '#contracts/settings.js';
import { createCachedSettingsReader, updateSettings } from '#domain/settings.js';
import type { SettingsRepository, StoredSettings } from '#domain/ports/settings.js';

/** An in-memory settings store that counts reads. */
class MemorySettings implements SettingsRepository {
  public reads = 0;
  public stored: StoredSettings = { settings: { syncConversationDeletion: false, deletionGracePeriodSeconds: 600 }, updatedAt: null, updatedBy: null };
  public async read() {
    this.reads++;
    return structuredClone(this.stored);
  }
  public async update(changes: Partial<AppSettings>, change: { updatedAt: string; updatedBy: string }) {
    this.stored = { settings: { ...this.stored.settings, ...changes }, ...change };
    return structuredClone(this.stored);
  }
}

const manualClock = (start = Date.parse('2025-01-01T00:00:00Z')) => {
  let now = start;
  return { now: () => new Date(now), advance: (ms: number) => (now += ms) };
};

describe('cached settings reader', () => {
  it('reads once per TTL, then sees the change', async () => {
    // Prepare
    const store = new MemorySettings();
    const clock = manualClock();
    const reader = createCachedSettingsReader(store, { ttlMs: 10_000, clock });

    // Act / Assess
    expect((await reader.current()).syncConversationDeletion).toBe(false);
    await store.update({ syncConversationDeletion: true }, { updatedAt: 'x', updatedBy: 'admin' });
    clock.advance(9_999);
    expect((await reader.current()).syncConversationDeletion).toBe(false);
    expect(store.reads).toBe(1);
    clock.advance(1);
    expect((await reader.current()).syncConversationDeletion).toBe(true);
    expect(store.reads).toBe(2);
  });

  it('shares one read between concurrent callers, and reads every time with a TTL of 0', async () => {
    // Prepare
    const store = new MemorySettings();
    const reader = createCachedSettingsReader(store, { ttlMs: 0, clock: manualClock() });

    // Act
    await Promise.all([reader.current(), reader.current(), reader.current()]);
    await reader.current();

    // Assess
    expect(store.reads).toBe(2);
  });

  it('does not keep a failed read', async () => {
    // Prepare
    const store = new MemorySettings();
    let fail = true;
    const flaky: SettingsRepository = { read: () => (fail ? Promise.reject(new Error('throttled')) : store.read()), update: store.update.bind(store) };
    const reader = createCachedSettingsReader(flaky, { ttlMs: 10_000, clock: manualClock() });

    // Act / Assess
    await expect(reader.current()).rejects.toThrow('throttled');
    fail = false;
    await expect(reader.current()).resolves.toEqual({ syncConversationDeletion: false, deletionGracePeriodSeconds: 600 });
  });
});

describe('settings update', () => {
  it('changes only the named settings and records who and when', async () => {
    // Prepare
    const store = new MemorySettings();
    store.stored.settings.syncConversationDeletion = true;

    // Act
    const result = await updateSettings({ settingsStore: store, clock: manualClock() }, { changes: {}, adminUserID: 'root' });

    // Assess
    expect(result).toEqual({ settings: { syncConversationDeletion: true, deletionGracePeriodSeconds: 600 }, updatedAt: '2025-01-01T00:00:00.000Z', updatedBy: 'root' });
  });

  it('accepts a boolean and refuses anything else with a stable code', () => {
    const codeOf = (body: unknown) => {
      try {
        parseOrThrow(settingsUpdateBody, body, 'body');
        return 'ok';
      } catch (error) {
        return (error as { errorCode: string }).errorCode;
      }
    };
    expect(parseOrThrow(settingsUpdateBody, { syncConversationDeletion: false }, 'body')).toEqual({ syncConversationDeletion: false });
    expect(codeOf({ syncConversationDeletion: 'true' })).toBe('INVALID_REQUEST');
    expect(codeOf({ syncConversationDeletion: true, extra: 1 })).toBe('UNKNOWN_FIELD');
    expect(codeOf({})).toBe('INVALID_REQUEST');
    expect(codeOf('syncConversationDeletion')).toBe('INVALID_REQUEST');
  });

  it('falls back to the defaults for what is not stored', () => {
    expect(settingsFromStored(undefined)).toEqual({ syncConversationDeletion: false, deletionGracePeriodSeconds: 600 });
    expect(settingsFromStored({ syncConversationDeletion: 'yes', deletionGracePeriodSeconds: -1 })).toEqual({ syncConversationDeletion: false, deletionGracePeriodSeconds: 600 });
    expect(settingsFromStored({ syncConversationDeletion: true, deletionGracePeriodSeconds: 0 })).toEqual({ syncConversationDeletion: true, deletionGracePeriodSeconds: 0 });
  });
});

describe('SETTINGS_CACHE_SECONDS', () => {
  it('defaults to 10 s, takes 0 or more, refuses nonsense', () => {
    expect(settingsCacheSeconds({})).toBe(10);
    expect(settingsCacheSeconds({ SETTINGS_CACHE_SECONDS: '0' })).toBe(0);
    expect(settingsCacheSeconds({ SETTINGS_CACHE_SECONDS: '2.5' })).toBe(2.5);
    expect(() => settingsCacheSeconds({ SETTINGS_CACHE_SECONDS: '-1' })).toThrow(SettingsCacheConfigError);
    expect(() => settingsCacheSeconds({ SETTINGS_CACHE_SECONDS: 'ten' })).toThrow(SettingsCacheConfigError);
  });
});
