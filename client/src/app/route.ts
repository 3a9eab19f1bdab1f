/** The pages of the single-page app, chosen by `location.pathname`. */
export type Route = 'volunteer' | 'playground' | 'dashboard' | 'not-found';

export interface NavLink {
  href: string;
  label: string;
  route: Route;
}

/** The coordinator serves index.html for exactly these paths. */
export const NAV_LINKS: readonly NavLink[] = [
  { href: '/', label: 'Volunteer', route: 'volunteer' },
  { href: '/playground', label: 'Playground', route: 'playground' },
  { href: '/dashboard', label: 'Dashboard', route: 'dashboard' },
];

export function routeFor(pathname: string): Route {
  const path = pathname.replace(/\/+$/, '') || '/';
  switch (path) {
    case '/':
    case '/guard':
    case '/index.html':
      return 'volunteer';
    case '/playground':
      return 'playground';
    case '/dashboard':
      return 'dashboard';
    default:
      return 'not-found';
  }
}
