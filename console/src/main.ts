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
  let admin: AdminSession | undefined;
  const settings = settingsSection(config, (session) => (admin = session));
  const playground = playgroundSection(config);
  const audit = auditSection(config, () => admin?.token);
  const events = eventsSection(config.mode === 'local' ? config.apiUrl : undefined);
  replace(root, settings.section, playground.section, audit.section, events.section);
  // `?autostart=0` leaves both sign-ins to the reader (the browser tests choose their own users).
  if (config.mode === 'local' && new URLSearchParams(location.search).get('autostart') !== '0') {
    await Promise.all([settings.signInAs('admin', true), playground.start()]);
  }
};

main().catch((error: unknown) => {
  const root = document.getElementById('app');
  if (root) replace(root, h('p', { class: 'error', role: 'alert' }, `The console could not start: ${describeError(error)}`));
});
