/**
 * Long lists of connection cards are built as they come into view: the first {@link FIRST_CARDS} at once, then
 * {@link MORE_CARDS} more each time the end of the list comes within {@link AHEAD_PX} of the viewport. A
 * 200-portal list then costs the first paint and the memory of the cards one sees (docs/BENCHMARKS.md finding 10).
 */
export const FIRST_CARDS = 12;
export const MORE_CARDS = 24;
export const AHEAD_PX = 1200;

/** How many of `total` cards to build once the end of `shown` of them comes near the viewport. */
export function nextLimit(shown: number, total: number): number {
  return Math.min(total, Math.max(shown, FIRST_CARDS) + MORE_CARDS);
}

/**
 * Svelte action for the element after the last built card: calls `more` while it is within {@link AHEAD_PX}
 * of the viewport (IntersectionObserver; no scroll handler, nothing runs while the list does not move).
 */
export function nearViewport(node: Element, more: () => void) {
  let callback = more;
  const observer = new IntersectionObserver(
    (entries) => {
      if (entries.some((e) => e.isIntersecting)) {
        callback();
      }
    },
    { rootMargin: `${AHEAD_PX}px 0px` },
  );
  observer.observe(node);
  return {
    update(next: () => void) {
      callback = next;
      // Still in view after the cards were added: observe again so that another batch follows.
      observer.unobserve(node);
      observer.observe(node);
    },
    destroy() {
      observer.disconnect();
    },
  };
}
