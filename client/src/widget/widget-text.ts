import type { WidgetLanguage } from '@tessera/shared';
import type { WidgetPhase } from './widget-controller.ts';
import type { PauseReason } from './politeness.ts';

/** The widget's own words, in the languages of `WIDGET_LANGUAGES`. */
export interface WidgetText {
  title: string;
  contributeAsk: (percent: number) => string;
  chatAsk: string;
  agree: string;
  decline: string;
  declined: string;
  remembered: string;
  notRemembered: string;
  phase: Record<WidgetPhase, string>;
  paused: Record<PauseReason, string>;
  tasksServed: string;
  earned: string;
  start: string;
  stop: string;
  revoke: string;
  volunteerPage: string;
  placeholder: string;
  send: string;
  you: string;
  network: string;
}

const en: WidgetText = {
  title: 'Tessera',
  contributeAsk: (percent) =>
    `Lend this browser to Tessera, a volunteer network that runs AI models in web browsers. It works only while this page is visible, uses at most ${percent} % of one core, rests on a low battery, and stops when you say.`,
  chatAsk: "Questions you ask here are answered by volunteers' browsers on the Tessera network: they see what you type.",
  agree: 'I agree',
  decline: 'No thanks',
  declined: 'Nothing ran and nothing was kept.',
  remembered: 'Remembered for this site.',
  notRemembered: 'This browser lets the widget keep nothing here: you will be asked again next visit.',
  phase: {
    asking: 'waiting for your consent',
    declined: 'declined',
    idle: 'ready',
    starting: 'starting',
    serving: 'serving',
    paused: 'paused',
    stopped: 'stopped',
    error: 'error',
  },
  paused: { hidden: 'while the page is hidden', battery: 'while the battery is low' },
  tasksServed: 'tasks served',
  earned: 'earned (TSRA)',
  start: 'Start',
  stop: 'Stop',
  revoke: 'Forget me',
  volunteerPage: 'Full volunteer page',
  placeholder: 'Ask the network…',
  send: 'Send',
  you: 'You',
  network: 'Network',
};

const fr: WidgetText = {
  ...en,
  contributeAsk: (percent) =>
    `Prêtez ce navigateur à Tessera, un réseau bénévole qui fait tourner des modèles d’IA dans des navigateurs. Il ne travaille que lorsque cette page est visible, utilise au plus ${percent} % d’un cœur, se repose quand la batterie est faible et s’arrête quand vous le dites.`,
  chatAsk: 'Les questions posées ici sont traitées par les navigateurs des bénévoles du réseau Tessera : ils voient ce que vous écrivez.',
  agree: 'J’accepte',
  decline: 'Non merci',
  declined: 'Rien n’a tourné, rien n’a été gardé.',
  remembered: 'Mémorisé pour ce site.',
  notRemembered: 'Ce navigateur ne laisse rien garder ici : la question reviendra à la prochaine visite.',
  phase: {
    asking: 'en attente de votre accord',
    declined: 'refusé',
    idle: 'prêt',
    starting: 'démarrage',
    serving: 'au travail',
    paused: 'en pause',
    stopped: 'arrêté',
    error: 'erreur',
  },
  paused: { hidden: 'tant que la page est cachée', battery: 'tant que la batterie est faible' },
  tasksServed: 'tâches servies',
  earned: 'gagné (TSRA)',
  start: 'Démarrer',
  stop: 'Arrêter',
  revoke: 'M’oublier',
  volunteerPage: 'Page bénévole complète',
  placeholder: 'Posez une question au réseau…',
  send: 'Envoyer',
  you: 'Vous',
  network: 'Réseau',
};

export function widgetText(lang: WidgetLanguage): WidgetText {
  return lang === 'fr' ? fr : en;
}
