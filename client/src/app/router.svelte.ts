import { routeFor } from './route.ts';
import type { Route } from './route.ts';

/**
 * Client-side navigation between the pages. Switching pages keeps the app (and so a volunteer's
 * running engine and socket) alive; a full reload would drop every task in flight.
 */
export class Router {
  path = $state(location.pathname);
  readonly route: Route = $derived(routeFor(this.path));

  constructor() {
    addEventListener('popstate', () => {
      this.path = location.pathname;
    });
  }

  /** Navigates within the app, keeping the query string (it carries `?coordinator=` and friends). */
  navigate(href: string): void {
    // eslint-disable-next-line svelte/prefer-svelte-reactivity -- parsed once here, never rendered or changed
    const url = new URL(href, location.href);
    if (url.origin !== location.origin) {
      location.assign(url);
      return;
    }
    if (url.pathname === location.pathname) return;
    history.pushState(null, '', `${url.pathname}${location.search}`);
    this.path = url.pathname;
  }
}
