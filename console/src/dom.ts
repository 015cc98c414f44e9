/** A few lines of DOM building instead of a framework: the page is small, and every node it makes is plain to see. */

type Child = Node | string | number | null | undefined | false;
type Props = Record<string, unknown> & { class?: string; on?: Partial<Record<keyof HTMLElementEventMap, (event: Event) => void>> };

/** `h('button', { type: 'button', on: { click } }, 'Delete')`: an element with attributes, listeners and children. */
export const h = <K extends keyof HTMLElementTagNameMap>(tag: K, props: Props = {}, ...children: Child[]): HTMLElementTagNameMap[K] => {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(props)) {
    if (name === 'on') {
      for (const [event, listener] of Object.entries(value as Record<string, EventListener>)) element.addEventListener(event, listener);
    } else if (value === true) {
      element.setAttribute(name, '');
    } else if (value !== false && value !== undefined && value !== null) {
      // Properties a form control keeps apart from its attribute.
      if (name === 'value' || name === 'checked') (element as unknown as Record<string, unknown>)[name] = value;
      else element.setAttribute(name, String(value));
    }
  }
  append(element, ...children);
  return element;
};

export const append = (parent: Node, ...children: Child[]): void => {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    parent.appendChild(typeof child === 'string' || typeof child === 'number' ? document.createTextNode(String(child)) : child);
  }
};

/** Replaces an element's children. */
export const replace = (parent: Element, ...children: Child[]): void => {
  parent.replaceChildren();
  append(parent, ...children);
};

let ids = 0;
/** A unique element ID, for label/for and aria-labelledby pairs. */
export const uid = (prefix: string): string => `${prefix}-${++ids}`;

/** A labelled form control: the label's `for` names the control. */
export const field = (label: string, control: HTMLInputElement | HTMLSelectElement, hint?: string): HTMLElement => {
  control.id ||= uid('f');
  const hintID = hint ? `${control.id}-hint` : undefined;
  if (hintID) control.setAttribute('aria-describedby', hintID);
  const hintNode = hint ? h('small', { id: hintID, class: 'hint' }, hint) : null;
  // A checkbox or switch before its label, as such controls are read; a text box below its label.
  if (control.type === 'checkbox') return h('div', { class: 'field check' }, control, h('label', { for: control.id }, label), hintNode);
  return h('div', { class: 'field' }, h('label', { for: control.id }, label), control, hintNode);
};

/** The time of an ISO string, as the reader's clock shows it (with seconds: deletions are seconds apart). */
export const clock = (iso: string | null | undefined): string => (iso ? new Date(iso).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' }) : '—');
