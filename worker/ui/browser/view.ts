/** What the shell mounts under <main>: an element, and what to stop (polling) when it is replaced. */
export interface View {
  el: HTMLElement;
  stop?: () => void;
}
