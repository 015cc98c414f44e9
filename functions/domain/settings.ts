/**
 * The app's settings: read and changed by administrators, honoured by the push and catch-up functions
 * through a short-lived cache, so that a busy push function does not read the settings item on every event.
 */
import type { SettingsUpdate } from '#contracts/api-schemas.js';
import type { AppSettings } from '#contracts/settings.js';
import type { Clock } from './ports/clock.js';
import type { SettingsReader, SettingsRepository, StoredSettings } from './ports/settings.js';

/** `GET /v1/admin/settings`: always the stored value, never a cached one. */
export const getSettings = (deps: { settingsStore: SettingsRepository }): Promise<StoredSettings> => deps.settingsStore.read();

/** `PUT /v1/admin/settings`: changes the settings named in the body; the others keep their value. */
export const updateSettings = (
  deps: { settingsStore: SettingsRepository; clock: Clock },
  input: { changes: SettingsUpdate; adminUserID: string },
): Promise<StoredSettings> => {
  const changes: Partial<AppSettings> = {};
  if (input.changes.syncConversationDeletion !== undefined) changes.syncConversationDeletion = input.changes.syncConversationDeletion;
  if (input.changes.deletionGracePeriodSeconds !== undefined) changes.deletionGracePeriodSeconds = input.changes.deletionGracePeriodSeconds;
  return deps.settingsStore.update(changes, { updatedAt: deps.clock.now().toISOString(), updatedBy: input.adminUserID });
};

/**
 * Settings read at most once per `ttlMs` per execution environment; concurrent callers share one read.
 * A change therefore reaches every function within `ttlMs` (plus the read's own duration).
 */
export const createCachedSettingsReader = (store: SettingsRepository, options: { ttlMs: number; clock: Clock }): SettingsReader => {
  let cached: { settings: AppSettings; readAt: number } | undefined;
  let reading: Promise<AppSettings> | undefined;
  return {
    current: () => {
      const now = options.clock.now().getTime();
      if (cached && now - cached.readAt < options.ttlMs) return Promise.resolve(cached.settings);
      reading ??= store
        .read()
        // Aged from when the read started: the value may be that old already.
        .then((stored) => (cached = { settings: stored.settings, readAt: now }).settings)
        .finally(() => (reading = undefined));
      return reading;
    },
  };
};
