/**
 * The app's settings, switched by administrators: their names, types and defaults, defined once for the admin
 * function, the functions that honour them, docs and tests (the body of `PUT /v1/admin/settings` is in api-schemas.ts).
 */

/** Every setting with its default; a setting never written has its default. */
export const DEFAULT_SETTINGS: Readonly<AppSettings> = {
  /** Push each deletion to the user's other devices and serve the offline catch-up. Off, as in the reference product. */
  syncConversationDeletion: false,
};

export type AppSettings = { syncConversationDeletion: boolean };

/** Reads stored settings leniently: a missing or unreadable value falls back to its default. */
export const settingsFromStored = (stored: Record<string, unknown> | undefined): AppSettings => ({
  syncConversationDeletion:
    typeof stored?.syncConversationDeletion === 'boolean' ? stored.syncConversationDeletion : DEFAULT_SETTINGS.syncConversationDeletion,
});

/** How long functions may use a settings value they read, unless SETTINGS_CACHE_SECONDS says otherwise. */
export const DEFAULT_SETTINGS_CACHE_SECONDS = 10;
