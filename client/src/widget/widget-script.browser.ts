import { TesseraWidgetElement } from './tessera-widget-element.ts';

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
