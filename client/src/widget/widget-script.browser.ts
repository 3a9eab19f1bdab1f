import { z } from 'zod';
import { TesseraWidgetElement } from './tessera-widget-element.ts';

// A host page may forbid eval in its CSP: zod must not even probe for it.
z.config({ jitless: true });

/** This script's own origin is the coordinator's: sites load it as `<script type="module" src="https://COORDINATOR/widget.js">`. */
const coordinatorOrigin = new URL(import.meta.url).origin;

if (customElements.get('tessera-widget') === undefined) {
  customElements.define(
    'tessera-widget',
    class extends TesseraWidgetElement {
      constructor() {
        super(coordinatorOrigin);
      }
    },
  );
}
