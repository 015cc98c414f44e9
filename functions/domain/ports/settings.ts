/** The app's settings: stored, and as the functions that honour them see them. */
import type { AppSettings } from '#contracts/settings.js';

export type StoredSettings = {
  settings: AppSettings;
  /** When an administrator last changed a setting; null while every setting has its default. */
  updatedAt: string | null;
  updatedBy: string | null;
};

export interface SettingsRepository {
  /** The settings as stored now (strongly consistent). */
  read(): Promise<StoredSettings>;
  /** Changes the named settings only, atomically; returns the result. */
  update(changes: Partial<AppSettings>, change: { updatedAt: string; updatedBy: string }): Promise<StoredSettings>;
}

/** Settings as the functions that honour them see them: possibly a few seconds old (see createCachedSettingsReader). */
export interface SettingsReader {
  current(): Promise<AppSettings>;
}
