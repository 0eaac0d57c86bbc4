/** The element with this id (the page is static HTML: a missing one is a bug). */
export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const element = document.getElementById(id);
  if (!element) throw new Error(`#${id} is missing from index.html`);
  return element as T;
}

/** A new element with text and attributes. */
export function el(
  tag: string,
  text = "",
  attributes: Record<string, string> = {},
): HTMLElement {
  const element = document.createElement(tag);
  element.textContent = text;
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, value);
  return element;
}

/** Show a status line; errors in red. */
export function say(id: string, message: string, error = false): void {
  const line = byId(id);
  line.textContent = message;
  line.classList.toggle("error", error);
}

/** A fresh idempotency key for one money operation (a retry of it would reuse it). */
export function idempotencyKey(): string {
  return crypto.randomUUID();
}

/** userErrors as one line, or null when there are none. */
export function problems(errors: ReadonlyArray<{ code: string; message: string }>): string | null {
  return errors.length ? errors.map((e) => `${e.code}: ${e.message}`).join("; ") : null;
}
