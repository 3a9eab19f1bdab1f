import { mount } from 'svelte';
import { createWidgetFrame } from './create-widget-frame.ts';
import WidgetFrame from './widget-frame.svelte';

const target = document.getElementById('widget');
if (target === null) throw new Error('widget-frame.html lacks #widget');
mount(WidgetFrame, { target, props: { widget: createWidgetFrame() } });
