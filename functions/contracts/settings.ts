/**
 * The app's settings, switched by administrators: their names, types and defaults, defined once for the admin
 * function, the functions that honour them, docs and tests (the body of `PUT /v1/admin/settings` is in api-schemas.ts).
 */

/** Every setting with its default; a setting never written has its default. */
export const DEFAULT_SETTINGS: Readonly<AppSettings> = {
  /** Push each deletion to the user's other devices and serve the offline catch-up. Off, as in the reference product. */
  syncConversationDeletion: false,
  /**
   * How long a deletion (or a cleared history) can be undone; its history is physically purged only after this.
   * 0 turns undo off, and a cleared history is then purged at once.
   */
  deletionGracePeriodSeconds: 600,
};

/** The longest undo grace period an administrator may set: a week, well inside the deletion records' retention. */
export const MAX_DELETION_GRACE_PERIOD_SECONDS = 7 * 86_400;

export type AppSettings = { syncConversationDeletion: boolean; deletionGracePeriodSeconds: number };

const isGracePeriod = (value: unknown): value is number =>
  typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= MAX_DELETION_GRACE_PERIOD_SECONDS;

/** Reads stored settings leniently: a missing or unreadable value falls back to its default. */
export const settingsFromStored = (stored: Record<string, unknown> | undefined): AppSettings => ({
  syncConversationDeletion:
    typeof stored?.syncConversationDeletion === 'boolean' ? stored.syncConversationDeletion : DEFAULT_SETTINGS.syncConversationDeletion,
  deletionGracePeriodSeconds: isGracePeriod(stored?.deletionGracePeriodSeconds) ? stored.deletionGracePeriodSeconds : DEFAULT_SETTINGS.deletionGracePeriodSeconds,
});

/** How long functions may use a settings value they read, unless SETTINGS_CACHE_SECONDS says otherwise. */
export const DEFAULT_SETTINGS_CACHE_SECONDS = 10;
