/** The pages of the single-page app, chosen by `location.pathname`. */
export type Route = 'volunteer' | 'guard' | 'playground' | 'dashboard' | 'not-found';

export interface NavLink {
  href: string;
  label: string;
  /** null: a page the coordinator serves itself (the API docs), reached by a full load, never by the router. */
  route: Route | null;
}

/** The coordinator serves index.html for exactly the app's paths; `/docs` is its OpenAPI reference. */
export const NAV_LINKS: readonly NavLink[] = [
  { href: '/', label: 'Volunteer', route: 'volunteer' },
  { href: '/guard', label: 'Guard', route: 'guard' },
  { href: '/playground', label: 'Playground', route: 'playground' },
  { href: '/dashboard', label: 'Dashboard', route: 'dashboard' },
  { href: '/docs', label: 'API docs', route: null },
];

export function routeFor(pathname: string): Route {
  const path = pathname.replace(/\/+$/, '') || '/';
  switch (path) {
    case '/':
    case '/index.html':
      return 'volunteer';
    case '/guard':
      return 'guard';
    case '/playground':
      return 'playground';
    case '/dashboard':
      return 'dashboard';
    default:
      return 'not-found';
  }
}
