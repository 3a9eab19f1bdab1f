import { mount } from 'svelte';
import App from './app/app.svelte';
import './app/app.css';

const target = document.getElementById('app');
if (target === null) throw new Error('index.html lacks #app');
mount(App, { target });
