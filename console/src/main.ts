/** The console page: configuration, playground, audit and events, each a section of one page. */
import './styles.css';
import { describeError, loadConfig } from './api.js';
import { auditSection } from './audit.js';
import { h, replace } from './dom.js';
import { eventsSection } from './events-view.js';
import { playgroundSection } from './playground.js';
import { type AdminSession, settingsSection } from './settings.js';

const main = async () => {
  const root = document.getElementById('app')!;
  const config = await loadConfig();
  // Only the cloud signs in through the hosted UI: the library for it is loaded then, and only then.
  const auth = config.mode === 'cloud' && config.auth ? (await import('./cloud-auth.js')).cloudAuth(config.auth) : undefined;
  const user = await auth?.current();
  if (auth && !user) {
    replace(
      root,
      h(
        'section',
        { class: 'card', 'aria-labelledby': 'sign-in-title' },
        h('h2', { id: 'sign-in-title' }, 'Sign in'),
        h('p', {}, 'Sign in with your account of the service\'s user pool. Administrators (the admins group) can change the settings and read the audit.'),
        h('button', { type: 'button', on: { click: () => void auth.signIn() } }, 'Sign in'),
      ),
    );
    return;
  }
  if (auth && user) {
    document.querySelector('header nav')?.append(h('button', { type: 'button', class: 'small', on: { click: () => void auth.signOut() } }, `Sign out ${user.userID}`));
  }
  let admin: AdminSession | undefined;
  const settings = settingsSection(config, (session) => (admin = session));
  const playground = playgroundSection(config);
  const audit = auditSection(() => admin?.chat);
  const events = eventsSection(config.mode === 'local' ? config.apiUrl : undefined);
  replace(root, settings.section, playground.section, audit.section, events.section);
  // `?autostart=0` leaves both sign-ins to the reader (the browser tests choose their own users).
  if (user) await Promise.all([settings.signInWith(user.userID, async () => user.token), playground.startAs(user.userID, user.token)]);
  else if (config.mode === 'local' && new URLSearchParams(location.search).get('autostart') !== '0') {
    await Promise.all([settings.signInAs('admin', true), playground.start()]);
  }
};

main().catch((error: unknown) => {
  const root = document.getElementById('app');
  if (root) replace(root, h('p', { class: 'error', role: 'alert' }, `The console could not start: ${describeError(error)}`));
});
