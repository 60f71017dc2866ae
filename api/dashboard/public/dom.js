/**
 * Building the page node by node: text is always set as text, never parsed as markup, so a job's
 * error or result cannot become part of the page (and the CSP's Trusted Types would refuse markup).
 */

/** @typedef {Node | string | number | null | undefined | false} Child */

/**
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag
 * @param {{ class?: string, attrs?: Record<string, string>, on?: Partial<Record<keyof HTMLElementEventMap, (event: Event) => void>> }} [props]
 * @param {...Child} children
 * @returns {HTMLElementTagNameMap[K]}
 */
export function h(tag, props = {}, ...children) {
  const element = document.createElement(tag);
  if (props.class) element.className = props.class;
  for (const [name, value] of Object.entries(props.attrs ?? {})) element.setAttribute(name, value);
  for (const [type, listener] of Object.entries(props.on ?? {})) element.addEventListener(type, /** @type {EventListener} */ (listener));
  append(element, children);
  return element;
}

/**
 * @param {Element} parent
 * @param {Child[]} children
 */
export function append(parent, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    parent.append(typeof child === 'number' ? String(child) : child);
  }
}

/**
 * The element with this id, of this kind: a page that lacks it is a bug worth failing on.
 * @template {HTMLElement} T
 * @param {string} id
 * @param {new () => T} kind
 * @returns {T}
 */
export function byId(id, kind) {
  const element = document.getElementById(id);
  if (!(element instanceof kind)) throw new Error(`the page has no ${kind.name} #${id}`);
  return element;
}

/**
 * A table: one row per item. A wide one (`stack`) turns each row into a card on narrow screens,
 * each cell labelled with its column's name.
 * @template T
 * @param {string} caption
 * @param {Array<{ label: string, cell: (item: T) => Child | Child[], class?: string }>} columns
 * @param {T[]} items
 * @param {{ stack: boolean }} [options]
 * @returns {HTMLTableElement}
 */
export function table(caption, columns, items, options = { stack: true }) {
  return h('table', options.stack ? { class: 'stack' } : {},
    h('caption', { class: 'visually-hidden' }, caption),
    h('thead', {}, h('tr', {}, ...columns.map((column) => h('th', { attrs: { scope: 'col' }, ...(column.class ? { class: column.class } : {}) }, column.label)))),
    h('tbody', {}, ...items.map((item) => h('tr', {}, ...columns.map((column) => {
      const cell = h('td', { attrs: { 'data-label': column.label }, ...(column.class ? { class: column.class } : {}) });
      const content = column.cell(item);
      append(cell, Array.isArray(content) ? content : [content]);
      return cell;
    })))));
}

/**
 * Replaces `parent`'s children with `children` only when what they show changed, so that a refresh
 * every few seconds neither moves the reader's place nor takes the keyboard focus away. A focused
 * element with an id gets the focus back after a change.
 * @param {HTMLElement} parent
 * @param {string} fingerprint what the children are made from
 * @param {() => Child[]} build
 */
export function renderIfChanged(parent, fingerprint, build) {
  if (parent.dataset.fingerprint === fingerprint) return;
  const focused = document.activeElement instanceof HTMLElement && parent.contains(document.activeElement) ? document.activeElement.id : '';
  parent.replaceChildren();
  append(parent, build());
  parent.dataset.fingerprint = fingerprint;
  if (focused) document.getElementById(focused)?.focus();
}
