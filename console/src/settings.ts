/**
 * Application configuration: the "Sync conversation deletion across clients" switch and the undo grace period, read
 * and written through the admin settings API (the SDK's getAppSettings/setAppSettings) as the signed-in admin.
 */
import type { AppSettings, Chat } from '../../client/src/index.js';
import { connect, type ConsoleConfig, describeError, localToken } from './api.js';
import { clock, field, h, replace } from './dom.js';

/** The admin session other sections (the audit) act with. */
export type AdminSession = { userID: string; token: string; chat: Chat };

export const settingsSection = (config: ConsoleConfig, onSession: (session: AdminSession | undefined) => void) => {
  let session: AdminSession | undefined;
  const userInput = h('input', { type: 'text', value: 'admin', autocomplete: 'off', spellcheck: 'false', pattern: '[A-Za-z0-9_\\-]{1,32}' });
  const adminClaim = h('input', { type: 'checkbox', checked: true });
  const signIn = h('button', { type: 'submit' }, 'Sign in');
  const syncSwitch = h('input', { type: 'checkbox', role: 'switch', disabled: true });
  const grace = h('input', { type: 'number', required: true, min: 0, max: 604800, step: 1, inputmode: 'numeric', disabled: true });
  const saveGrace = h('button', { type: 'submit', disabled: true }, 'Save grace period');
  const status = h('p', { class: 'status', role: 'status' }, 'Not signed in.');
  const error = h('p', { class: 'error', role: 'alert' });

  const show = (settings: AppSettings, saved: boolean) => {
    syncSwitch.checked = settings.syncConversationDeletion;
    grace.value = String(settings.deletionGracePeriodSeconds ?? 600);
    syncSwitch.disabled = grace.disabled = saveGrace.disabled = false;
    const changed = settings.updatedAt ? `Last changed by ${settings.updatedBy ?? '?'} at ${clock(settings.updatedAt)}.` : 'Never changed: the defaults apply.';
    replace(
      status,
      saved ? 'Saved. ' : '',
      `${changed} Sync is ${settings.syncConversationDeletion ? 'on' : 'off'}; undo ${settings.deletionGracePeriodSeconds ? `within ${settings.deletionGracePeriodSeconds} s` : 'is off'}. `,
      h('strong', {}, `A change reaches every function within ${settings.appliesWithinSeconds} s.`),
    );
  };
  const fail = (e: unknown) => replace(error, describeError(e));
  const act = async (what: () => Promise<void>) => {
    replace(error);
    try {
      await what();
    } catch (e) {
      fail(e);
    }
  };

  /** Signs in with a token: a local one for any user, or the signed-in user's in the cloud. */
  const signInWith = async (userID: string, token: () => Promise<string>) => {
    await session?.chat.destroy();
    session = undefined;
    onSession(undefined);
    syncSwitch.disabled = grace.disabled = saveGrace.disabled = true;
    replace(status, `Signing in as ${userID}…`);
    await act(async () => {
      const bearer = await token();
      const chat = await connect(config, userID, bearer, { sync: false });
      session = { userID, token: bearer, chat };
      try {
        show((await chat.getAppSettings()).data, false);
        onSession(session);
      } catch (e) {
        replace(status, `Signed in as ${userID}, who cannot read or change the settings.`);
        throw e;
      }
    });
  };

  const signInAs = (userID: string, admin: boolean) => signInWith(userID, () => localToken(config, userID, admin));

  syncSwitch.addEventListener('change', () => {
    const wanted = syncSwitch.checked;
    void act(async () => {
      try {
        show((await session!.chat.setAppSettings({ syncConversationDeletion: wanted })).data, true);
      } catch (e) {
        syncSwitch.checked = !wanted;
        throw e;
      }
    });
  });

  const section = h(
    'section',
    { id: 'settings', 'aria-labelledby': 'settings-title', class: 'card' },
    h('h2', { id: 'settings-title' }, 'Application configuration'),
    config.mode === 'local'
      ? h(
          'form',
          { class: 'row', 'aria-label': 'Sign in for the settings', on: { submit: (e) => (e.preventDefault(), void signInAs(userInput.value.trim(), adminClaim.checked)) } },
          field('Admin user ID', userInput),
          field('Token carries the admin claim', adminClaim),
          signIn,
        )
      : null,
    h('div', { class: 'switch-row' }, field('Sync conversation deletion across clients', syncSwitch, 'Push each deletion, cleared history and undo to the user\'s other devices, and serve their catch-up list.')),
    h(
      'form',
      {
        class: 'row',
        'aria-label': 'Undo grace period',
        on: {
          submit: (e) => {
            e.preventDefault();
            void act(async () => show((await session!.chat.setAppSettings({ deletionGracePeriodSeconds: Number(grace.value) })).data, true));
          },
        },
      },
      field('Undo grace period (seconds)', grace, '0 turns undo off; at most 604800 (a week). Applies to deletions made after the change.'),
      saveGrace,
    ),
    status,
    error,
  );
  return { section, signInAs, signInWith };
};
