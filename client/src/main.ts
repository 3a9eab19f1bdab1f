import { mount } from 'svelte';
import App from './app/app.svelte';
import './app/app.css';
import { createApp } from './app/create-app.ts';

const target = document.getElementById('app');
if (target === null) throw new Error('index.html lacks #app');
// The app needs the coordinator's catalog before anything renders; createApp never rejects for a missing one.
void createApp().then((app) => mount(App, { target, props: { app } }));
