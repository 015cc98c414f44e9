/**
 * The app's settings, switched by administrators: their names, types, defaults and the body of
 * `PUT /v1/admin/settings`, defined once for the admin function, the functions that honour them, docs and tests.
 */
import { z } from 'zod';
import { booleanFlag } from './api-schemas.js';

/** Every setting with its default; a setting never written has its default. */
export const DEFAULT_SETTINGS: Readonly<AppSettings> = {
  /** Push each deletion to the user's other devices and serve the offline catch-up. Off, as in the reference product. */
  syncConversationDeletion: false,
};

export type AppSettings = { syncConversationDeletion: boolean };

/**
 * Body of `PUT /v1/admin/settings`: the settings to change, each optional (the others keep their value);
 * an unknown key is refused (UNKNOWN_FIELD), a wrong type too (INVALID_REQUEST), and so is a body with no setting.
 */
export const settingsUpdateBody = z
  .strictObject({
    syncConversationDeletion: booleanFlag('syncConversationDeletion').optional(),
  })
  .refine((body) => Object.keys(body).length > 0, {
    params: { code: 'INVALID_REQUEST' },
    error: `name at least one setting to change, such as {"syncConversationDeletion":true}; settings: ${Object.keys(DEFAULT_SETTINGS).join(', ')}`,
  });
export type SettingsUpdate = z.infer<typeof settingsUpdateBody>;

/** Reads stored settings leniently: a missing or unreadable value falls back to its default. */
export const settingsFromStored = (stored: Record<string, unknown> | undefined): AppSettings => ({
  syncConversationDeletion:
    typeof stored?.syncConversationDeletion === 'boolean' ? stored.syncConversationDeletion : DEFAULT_SETTINGS.syncConversationDeletion,
});

/** How long functions may use a settings value they read, unless SETTINGS_CACHE_SECONDS says otherwise. */
export const DEFAULT_SETTINGS_CACHE_SECONDS = 10;
